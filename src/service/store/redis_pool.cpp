#include "service/store/redis_pool.h"

#include <algorithm>

namespace clawbot::service {

RedisPool::RedisPool(RedisEndpoint endpoint, RedisTimeouts timeouts, std::size_t size)
    : endpoint_(std::move(endpoint)), timeouts_(timeouts), size_(std::max<std::size_t>(size, 1)) {}

RedisPool::~RedisPool() = default;

Result<RedisValue> RedisPool::run(const std::function<Result<RedisValue>(RedisConnection&)>& work) {
    Result<std::unique_ptr<RedisConnection>> connection = acquire();
    if (!connection) return connection.error();
    Result<RedisValue> result = work(**connection);
    release(std::move(connection).value(), result ? std::string() : result.error().message);
    return result;
}

Result<RedisValue> RedisPool::command(std::span<const std::string_view> args) {
    return run([args](RedisConnection& c) { return c.command(args); });
}

Result<RedisValue> RedisPool::eval(const RedisScript& script, std::span<const std::string_view> keys,
                                   std::span<const std::string_view> args) {
    return run([&script, keys, args](RedisConnection& c) { return c.eval(script, keys, args); });
}

Result<std::unique_ptr<RedisConnection>> RedisPool::acquire() {
    std::unique_lock lock(mutex_);
    // Waiting for a busy connection is bounded like a command.
    const Clock::time_point give_up = Clock::now() + timeouts_.command;
    for (;;) {
        while (!idle_.empty()) {
            std::unique_ptr<RedisConnection> connection = std::move(idle_.back());
            idle_.pop_back();
            if (!connection->closed_while_idle()) return connection;
            --open_;  // the server restarted or went away since its last use
        }
        if (open_ < size_) {
            const Clock::time_point now = Clock::now();
            if (now < next_connect_) {
                const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_connect_ - now);
                return make_error(last_failure_ + " (next try in " + std::to_string(wait.count()) + " ms)");
            }
            ++open_;
            lock.unlock();
            return connect_slot();
        }
        if (returned_.wait_until(lock, give_up) == std::cv_status::timeout && idle_.empty() && open_ >= size_) {
            return make_error("Redis at " + endpoint_.display() + ": all " + std::to_string(size_) +
                              " connections stayed busy for " + std::to_string(timeouts_.command.count()) + " ms");
        }
    }
}

Result<std::unique_ptr<RedisConnection>> RedisPool::connect_slot() {
    Result<std::unique_ptr<RedisConnection>> connection = RedisConnection::open(endpoint_, timeouts_);
    std::lock_guard lock(mutex_);
    if (connection) return connection;
    --open_;
    back_off(connection.error().message);
    returned_.notify_one();
    return connection.error();
}

void RedisPool::back_off(const std::string& failure) {
    const int doublings = std::min(consecutive_failures_++, 4);
    next_connect_ = Clock::now() + std::min(kFirstBackoff * (1 << doublings), kMaxBackoff);
    last_failure_ = failure;
}

void RedisPool::release(std::unique_ptr<RedisConnection> connection, const std::string& failure) {
    std::lock_guard lock(mutex_);
    if (connection->broken()) {
        // Lost or timed out: a hung Redis is then not waited on by every
        // call, only probed again after the backoff.
        connection.reset();
        --open_;
        open_ -= idle_.size();
        idle_.clear();
        back_off(failure);
        returned_.notify_all();  // every freed slot may be reconnected
    } else {
        consecutive_failures_ = 0;  // Redis answers: whoever needs a connection may open one
        next_connect_ = {};
        idle_.push_back(std::move(connection));
        returned_.notify_one();
    }
}

}  // namespace clawbot::service
