#include "service/store/redis_keys.h"

#include <cstdio>

namespace clawbot::service::redis_keys {

namespace {

std::string key(std::string_view kind, std::string_view a) {
    std::string out(kPrefix);
    return out.append(kind).append(a);
}

}  // namespace

std::string schema() { return key("schema", ""); }
std::string token_prefix() { return key("token:", ""); }
std::string token(std::string_view token_id) { return key("token:", token_id); }
std::string token_digest(const TokenDigest& digest) { return key("token_digest:", digest_hex(digest)); }
std::string tokens_by_creation() { return key("tokens", ""); }
std::string active_tokens() { return key("tokens:active", ""); }

std::string conversation_prefix(std::string_view owner_token_id) {
    return key("conv:", owner_token_id) + ":";
}

std::string conversation(std::string_view owner_token_id, std::string_view conversation_id) {
    return conversation_prefix(owner_token_id).append(conversation_id);
}

std::string messages(std::string_view owner_token_id, std::string_view conversation_id) {
    return key("msgs:", owner_token_id).append(":").append(conversation_id);
}

std::string conversations_of(std::string_view owner_token_id) { return key("convs:", owner_token_id); }

std::string recency_member(std::int64_t updated_at_ms, std::string_view conversation_id) {
    // The Lua scripts pad the same way (string.rep('0', 20 - #ms) .. ms).
    char padded[32];
    std::snprintf(padded, sizeof padded, "%020lld:", static_cast<long long>(updated_at_ms));
    return std::string(padded).append(conversation_id);
}

std::string digest_hex(const TokenDigest& digest) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(digest.size() * 2);
    for (std::uint8_t byte : digest) {
        hex += kHex[byte >> 4];
        hex += kHex[byte & 15];
    }
    return hex;
}

}  // namespace clawbot::service::redis_keys
