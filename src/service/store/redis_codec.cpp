#include "service/store/redis_codec.h"

#include <array>
#include <optional>

namespace clawbot::service {
namespace {

constexpr std::size_t kMessageHeaderLines = 6;

Error corrupt(std::string_view what) { return make_error("Redis holds a malformed " + std::string(what)); }

std::optional<TokenDigest> parse_digest_hex(std::string_view hex) {
    TokenDigest digest{};
    if (hex.size() != digest.size() * 2) return std::nullopt;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < digest.size(); ++i) {
        const int high = nibble(hex[2 * i]), low = nibble(hex[2 * i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        digest[i] = static_cast<std::uint8_t>(high * 16 + low);
    }
    return digest;
}

}  // namespace

std::string encode_message(const MessageRecord& m) {
    std::string out;
    out.reserve(m.id.size() + m.content.size() + 64);
    for (const std::string& line : {m.id, std::string(role_name(m.role)), std::to_string(m.created_at_ms),
                                    std::to_string(m.usage.prompt_tokens), std::to_string(m.usage.completion_tokens),
                                    std::to_string(m.usage.cached_tokens)}) {
        out.append(line).push_back('\n');
    }
    return out.append(m.content);
}

Result<MessageRecord> decode_message(std::string_view element, std::string_view conversation_id, std::int64_t seq) {
    std::array<std::string_view, kMessageHeaderLines> lines;
    for (std::string_view& line : lines) {
        const std::size_t newline = element.find('\n');
        if (newline == std::string_view::npos) return corrupt("message");
        line = element.substr(0, newline);
        element.remove_prefix(newline + 1);
    }
    const std::optional<MessageRole> role = parse_role(lines[1]);
    const std::optional<std::int64_t> created = parse_decimal(lines[2]);
    const std::optional<std::int64_t> prompt = parse_decimal(lines[3]);
    const std::optional<std::int64_t> completion = parse_decimal(lines[4]);
    const std::optional<std::int64_t> cached = parse_decimal(lines[5]);
    if (lines[0].empty() || !role || !created || !prompt || !completion || !cached) return corrupt("message");
    return MessageRecord{std::string(lines[0]), std::string(conversation_id), seq, *role, std::string(element),
                         TokenUsage{*prompt, *completion, *cached}, *created};
}

Result<StoredToken> decode_token(std::span<const RedisValue> f) {
    if (f.size() != kTokenFieldCount) return corrupt("token");
    Result<std::string> id = text_of(f[0], "a token id");
    Result<std::string> name = text_of(f[1], "a token name");
    Result<std::int64_t> created = integer_text_of(f[3], "a token's creation time");
    Result<std::string> digest_hex = text_of(f[4], "a token digest");
    if (!id || !name || !created || !digest_hex || f[2].kind != RedisValue::Kind::Text) return corrupt("token");
    const std::optional<TokenDigest> digest = parse_digest_hex(*digest_hex);
    if (!digest) return corrupt("token digest");
    StoredToken token;
    token.record = TokenRecord{*id, *name, f[2].text == "1", *created, !f[5].is_nil()};
    token.digest = *digest;
    return token;
}

Result<ConversationRecord> decode_conversation(std::string_view owner_token_id, std::span<const RedisValue> f) {
    if (f.size() != kConversationFieldCount) return corrupt("conversation");
    Result<std::string> id = text_of(f[0], "a conversation id");
    Result<std::string> title = text_of(f[1], "a conversation title");
    Result<std::string> system_prompt = text_of(f[2], "a system prompt");
    Result<std::int64_t> created = integer_text_of(f[3], "a conversation's creation time");
    Result<std::int64_t> updated = integer_text_of(f[4], "a conversation's update time");
    if (!id || !title || !system_prompt || !created || !updated) return corrupt("conversation");
    return ConversationRecord{*id, std::string(owner_token_id), *title, *system_prompt, *created, *updated};
}

}  // namespace clawbot::service
