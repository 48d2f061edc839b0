// RedisStore: access tokens. Tokens are created exactly as SqliteStore
// creates them (access_token.h); Redis keeps the digest, never the token.
#include <array>

#include "service/store/redis_codec.h"
#include "service/store/redis_keys.h"
#include "service/store/redis_scripts.h"
#include "service/store/redis_store.h"
#include "service/store/store_clock.h"

namespace clawbot::service {

Result<CreatedToken> RedisStore::create_token(std::string_view name, bool admin) {
    Result<std::string> plaintext = generate_access_token();
    if (!plaintext) return plaintext.error();
    Result<TokenDigest> digest = digest_access_token(*plaintext);
    if (!digest) return digest.error();
    Result<std::string> id = generate_token_id();
    if (!id) return id.error();
    CreatedToken created{TokenRecord{*id, std::string(name), admin, unix_now_ms(), false},
                         std::move(plaintext).value()};

    const std::string token_key = redis_keys::token(created.record.id);
    const std::string digest_key = redis_keys::token_digest(*digest);
    const std::string tokens = redis_keys::tokens_by_creation();
    const std::string active = redis_keys::active_tokens();
    const std::string created_at = std::to_string(created.record.created_at_ms);
    const std::string digest_hex = redis_keys::digest_hex(*digest);
    const std::array<std::string_view, 4> keys = {token_key, digest_key, tokens, active};
    const std::array<std::string_view, 5> args = {created.record.id, created.record.name, admin ? "1" : "0",
                                                  created_at, digest_hex};
    Result<RedisValue> stored = pool_.eval(redis_scripts::create_token(), keys, args);
    if (!stored) return stored.error();
    return created;
}

Result<std::vector<StoredToken>> RedisStore::list_stored_tokens() {
    const std::string tokens = redis_keys::tokens_by_creation();
    const std::string prefix = redis_keys::token_prefix();
    const std::array<std::string_view, 1> keys = {tokens};
    const std::array<std::string_view, 1> args = {prefix};
    Result<RedisValue> reply = pool_.eval(redis_scripts::list_tokens(), keys, args);
    if (!reply) return reply.error();
    const std::vector<RedisValue>& fields = reply->items;
    if (reply->kind != RedisValue::Kind::Array || fields.size() % kTokenFieldCount != 0) {
        return make_error("unexpected reply from Redis listing tokens");
    }
    std::vector<StoredToken> stored;
    stored.reserve(fields.size() / kTokenFieldCount);
    for (std::size_t at = 0; at < fields.size(); at += kTokenFieldCount) {
        Result<StoredToken> token = decode_token(std::span(fields).subspan(at, kTokenFieldCount));
        if (!token) return token.error();
        stored.push_back(std::move(token).value());
    }
    return stored;
}

Result<std::vector<TokenRecord>> RedisStore::list_tokens() {
    Result<std::vector<StoredToken>> stored = list_stored_tokens();
    if (!stored) return stored.error();
    std::vector<TokenRecord> records;
    records.reserve(stored->size());
    for (StoredToken& token : *stored) records.push_back(std::move(token.record));
    return records;
}

Result<bool> RedisStore::revoke_token(std::string_view token_id) {
    const std::string token_key = redis_keys::token(token_id);
    const std::string active = redis_keys::active_tokens();
    const std::string now = std::to_string(unix_now_ms());
    const std::array<std::string_view, 2> keys = {token_key, active};
    const std::array<std::string_view, 2> args = {token_id, now};
    Result<RedisValue> reply = pool_.eval(redis_scripts::revoke_token(), keys, args);
    if (!reply) return reply.error();
    Result<std::int64_t> found = integer_of(*reply, "revoking a token");
    if (!found) return found.error();
    return *found == 1;
}

Result<std::int64_t> RedisStore::count_active_tokens() {
    const std::string active = redis_keys::active_tokens();
    const std::array<std::string_view, 2> count = {"SCARD", active};
    Result<RedisValue> reply = pool_.command(count);
    if (!reply) return reply.error();
    return integer_of(*reply, "counting tokens");
}

Result<std::optional<StoredToken>> RedisStore::find_token(const TokenDigest& digest) {
    const std::string digest_key = redis_keys::token_digest(digest);
    const std::string prefix = redis_keys::token_prefix();
    const std::array<std::string_view, 1> keys = {digest_key};
    const std::array<std::string_view, 1> args = {prefix};
    Result<RedisValue> reply = pool_.eval(redis_scripts::find_token(), keys, args);
    if (!reply) return reply.error();
    if (reply->is_nil()) return std::optional<StoredToken>{};
    if (reply->kind != RedisValue::Kind::Array) return make_error("unexpected reply from Redis finding a token");
    Result<StoredToken> token = decode_token(reply->items);
    if (!token) return token.error();
    return std::optional<StoredToken>{std::move(token).value()};
}

}  // namespace clawbot::service
