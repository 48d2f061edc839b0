#include "service/auth/token_rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace clawbot::service {

TokenRateLimiter::TokenRateLimiter(int requests_per_minute, int tokens_per_minute)
    : requests_per_minute_(std::max(requests_per_minute, 0)), tokens_per_minute_(std::max(tokens_per_minute, 0)) {}

void TokenRateLimiter::refill(Buckets& b, Clock::time_point now) const {
    const double minutes = std::chrono::duration<double>(now - b.updated).count() / 60.0;
    if (minutes <= 0) return;
    b.requests = std::min(requests_per_minute_, b.requests + minutes * requests_per_minute_);
    b.tokens = std::min(tokens_per_minute_, b.tokens + minutes * tokens_per_minute_);
    b.updated = now;
}

TokenRateLimiter::Buckets& TokenRateLimiter::buckets_for(const std::string& token_id, Clock::time_point now) {
    auto found = buckets_.find(token_id);
    if (found == buckets_.end()) {
        if (buckets_.size() >= prune_at_) prune(now);
        found = buckets_.emplace(token_id, Buckets{requests_per_minute_, tokens_per_minute_, now}).first;
    }
    refill(found->second, now);
    return found->second;
}

void TokenRateLimiter::prune(Clock::time_point now) {
    // A full bucket is what a new entry would hold: forgetting it changes nothing.
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        refill(it->second, now);
        const bool full = it->second.requests >= requests_per_minute_ && it->second.tokens >= tokens_per_minute_;
        it = full ? buckets_.erase(it) : std::next(it);
    }
    prune_at_ = std::max<std::size_t>(1024, buckets_.size() * 2);
}

TokenRateLimiter::Verdict TokenRateLimiter::admit(const std::string& token_id, Clock::time_point now) {
    if (!enabled()) return {};
    std::lock_guard lock(mutex_);
    Buckets& b = buckets_for(token_id, now);
    const auto wait_s = [](double deficit, double per_minute) {
        return std::max(1, static_cast<int>(std::ceil(deficit / per_minute * 60.0)));
    };
    if (requests_per_minute_ > 0 && b.requests < 1.0) return {false, "requests", wait_s(1.0 - b.requests, requests_per_minute_)};
    if (tokens_per_minute_ > 0 && b.tokens <= 0.0) return {false, "tokens", wait_s(1.0 - b.tokens, tokens_per_minute_)};
    if (requests_per_minute_ > 0) b.requests -= 1.0;
    return {};
}

void TokenRateLimiter::charge_tokens(const std::string& token_id, int tokens, Clock::time_point now) {
    if (tokens_per_minute_ <= 0 || tokens <= 0) return;
    std::lock_guard lock(mutex_);
    buckets_for(token_id, now).tokens -= tokens;
}

std::size_t TokenRateLimiter::tracked_tokens() const {
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

}  // namespace clawbot::service
