#include "service/store/redis_store.h"

#include <array>

#include "service/store/redis_keys.h"

namespace clawbot::service {
namespace {

// Claims an empty database for this layout, or checks the layout it holds.
Result<RedisValue> check_schema(RedisConnection& redis) {
    const std::string key = redis_keys::schema();
    const std::array<std::string_view, 4> claim = {"SET", key, redis_keys::kSchemaVersion, "NX"};
    Result<RedisValue> claimed = redis.command(claim);
    if (!claimed) return claimed;
    const std::array<std::string_view, 2> get = {"GET", key};
    Result<RedisValue> stored = redis.command(get);
    if (!stored) return stored;
    Result<std::string> version = text_of(*stored, key);
    if (!version) return version.error();
    if (*version == redis_keys::kSchemaVersion) return stored;
    const std::optional<std::int64_t> number = parse_decimal(*version);
    if (number && *number > 1) {
        return make_error("the Redis database holds clawbot data of a newer layout (" + key + " = " + *version +
                          "); upgrade clawbot");
    }
    return make_error("the Redis database holds an unknown " + key + " value; is it another application's?");
}

Result<std::string> config_value(RedisConnection& redis, std::string_view name) {
    const std::array<std::string_view, 3> get = {"CONFIG", "GET", name};
    Result<RedisValue> reply = redis.command(get);
    if (!reply) return reply.error();
    if (reply->kind != RedisValue::Kind::Array || reply->items.size() != 2) {
        return make_error("unexpected reply to CONFIG GET " + std::string(name));
    }
    return text_of(reply->items[1], name);
}

// Why an acknowledged write might not survive a Redis crash, if it might.
std::optional<std::string> durability_problem(RedisConnection& redis, const std::string& where) {
    const std::string fix = "; run Redis with `appendonly yes` and `appendfsync always` so that every acknowledged "
                            "message survives a Redis crash";
    Result<std::string> appendonly = config_value(redis, "appendonly");
    Result<std::string> appendfsync = appendonly ? config_value(redis, "appendfsync") : appendonly.error();
    if (!appendfsync) return "cannot check the AOF settings of " + where + " (" + appendfsync.error().message + ")" + fix;
    if (*appendonly != "yes" || *appendfsync != "always") {
        return where + " runs with appendonly " + *appendonly + " and appendfsync " + *appendfsync +
               ": acknowledged messages can be lost if Redis crashes" + fix;
    }
    return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<RedisStore>> RedisStore::open(const RedisEndpoint& endpoint, const RedisStoreOptions& options) {
    std::unique_ptr<RedisStore> store(new RedisStore(endpoint, options));
    const std::string where = store->description();
    Result<RedisValue> checked = store->pool_.run([&](RedisConnection& redis) -> Result<RedisValue> {
        Result<RedisValue> schema = check_schema(redis);
        if (schema) store->durability_warning_ = durability_problem(redis, where);
        return schema;
    });
    if (!checked) return checked.error();
    return store;
}

std::string RedisStore::description() const { return "Redis at " + pool_.endpoint().display(); }

Result<bool> RedisStore::ping() {
    const std::array<std::string_view, 1> ping = {"PING"};
    Result<RedisValue> reply = pool_.command(ping);
    if (!reply) return reply.error();
    Result<std::string> pong = text_of(*reply, "PING");
    if (!pong) return pong.error();
    if (*pong != "PONG") return make_error(description() + ": PING answered " + *pong);
    return true;
}

}  // namespace clawbot::service
