#pragma once
// A few RedisConnections shared by the threads that call the store (the
// HTTP I/O threads and the blocking work queue), so a request never opens a
// connection of its own and one slow fsync does not hold up every reader.
//
// Connections are opened lazily, up to `size`. An idle one the server has
// closed (a Redis restart) is noticed before use and replaced. One that
// breaks in use (I/O error, timeout) is dropped, and so are the idle ones
// (they likely lost the same server). After a failed connect or a broken
// connection nobody connects again before a short backoff (100 ms doubling
// to 1 s, reset by the next command that works) has passed: meanwhile calls
// fail at once with the last failure, so a dead or hung Redis is neither
// hammered nor waited on by every request. Nothing here ever falls back to
// another store.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "service/store/redis_connection.h"

namespace clawbot::service {

class RedisPool {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds kFirstBackoff{100};
    static constexpr std::chrono::milliseconds kMaxBackoff{1000};

    RedisPool(RedisEndpoint endpoint, RedisTimeouts timeouts, std::size_t size);
    ~RedisPool();
    RedisPool(const RedisPool&) = delete;
    RedisPool& operator=(const RedisPool&) = delete;

    // Runs `work` on a connection of its own for the duration of the call.
    Result<RedisValue> run(const std::function<Result<RedisValue>(RedisConnection&)>& work);
    Result<RedisValue> command(std::span<const std::string_view> args);
    Result<RedisValue> eval(const RedisScript& script, std::span<const std::string_view> keys,
                            std::span<const std::string_view> args);

    const RedisEndpoint& endpoint() const { return endpoint_; }

private:
    Result<std::unique_ptr<RedisConnection>> acquire();
    Result<std::unique_ptr<RedisConnection>> connect_slot();  // a slot is reserved; mutex_ not held
    // `failure`: the error of the call that broke it, if it broke.
    void release(std::unique_ptr<RedisConnection> connection, const std::string& failure);
    void back_off(const std::string& failure);  // mutex_ held

    const RedisEndpoint endpoint_;
    const RedisTimeouts timeouts_;
    const std::size_t size_;

    std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<std::unique_ptr<RedisConnection>> idle_;
    std::size_t open_ = 0;  // idle + in use + being opened
    int consecutive_failures_ = 0;
    Clock::time_point next_connect_{};
    std::string last_failure_;
};

}  // namespace clawbot::service
