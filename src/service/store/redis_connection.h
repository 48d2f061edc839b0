#pragma once
// One blocking hiredis connection with a connect timeout and a per-command
// timeout, used by one thread at a time (RedisPool hands them out). After an
// I/O error or a timeout the connection is `broken()`: hiredis cannot tell
// whether a late reply is still on its way, so the pool drops it and opens a
// fresh one later.
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "service/store/redis_url.h"
#include "service/store/redis_value.h"

struct redisContext;

namespace clawbot::service {

struct RedisTimeouts {
    std::chrono::milliseconds connect{500};
    std::chrono::milliseconds command{1000};
};

// A Lua script run with EVALSHA, falling back to EVAL when the server does
// not know it (after a restart or SCRIPT FLUSH).
struct RedisScript {
    std::string_view body;
    std::string sha1;  // hex, of body
};
RedisScript make_redis_script(std::string_view body);

class RedisConnection {
public:
    // Connects, then AUTH (when the endpoint has a password) and SELECT.
    static Result<std::unique_ptr<RedisConnection>> open(const RedisEndpoint& endpoint, const RedisTimeouts& timeouts);
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    // An error reply comes back as an Error; the connection stays usable.
    Result<RedisValue> command(std::span<const std::string_view> args);
    Result<RedisValue> eval(const RedisScript& script, std::span<const std::string_view> keys,
                            std::span<const std::string_view> args);

    bool broken() const { return broken_; }
    // An idle connection that is readable was closed by the server (or
    // holds bytes nobody asked for): either way it must not be used.
    bool closed_while_idle() const;

private:
    RedisConnection(redisContext* context, const RedisEndpoint& endpoint, const RedisTimeouts& timeouts);
    // hiredis's error, in words; a read that ran out of time says so.
    Error failure(std::string_view what, bool awaiting_reply) const;

    redisContext* context_;
    std::string where_;     // "Redis at redis://***@host:port/db"
    std::string password_;  // to scrub from any text that reaches an error message
    RedisTimeouts timeouts_;
    bool broken_ = false;
};

}  // namespace clawbot::service
