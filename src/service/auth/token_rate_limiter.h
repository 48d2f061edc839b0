#pragma once
// Per access token limits on chat requests and on tokens (prompt plus
// completion) per minute, so that one user cannot take the engine from the
// others. Each limit is a bucket that holds a minute's allowance and refills
// continuously; a request is admitted while both buckets are positive, and
// its tokens are charged when it finishes (so a long answer can overdraw
// the bucket, and the next request waits until it has refilled).
//
// Only verified token ids enter the table, so its size is bounded by the
// tokens that exist; idle entries (full again) are pruned as it grows.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace clawbot::service {

class TokenRateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    // 0 turns a limit off.
    TokenRateLimiter(int requests_per_minute, int tokens_per_minute);

    struct Verdict {
        bool admitted = true;
        const char* limit = "";  // "requests" or "tokens" when refused
        int retry_after_s = 0;   // when refused: seconds until admitted again
    };
    // Takes one request from token_id's allowance, or says how long to wait.
    Verdict admit(const std::string& token_id, Clock::time_point now = Clock::now());
    // Charges what a finished request used.
    void charge_tokens(const std::string& token_id, int tokens, Clock::time_point now = Clock::now());

    bool enabled() const { return requests_per_minute_ > 0 || tokens_per_minute_ > 0; }
    std::size_t tracked_tokens() const;

private:
    struct Buckets {
        double requests = 0;  // allowance left, refilled up to the limit
        double tokens = 0;
        Clock::time_point updated;
    };
    Buckets& buckets_for(const std::string& token_id, Clock::time_point now);  // mutex_ held
    void refill(Buckets& b, Clock::time_point now) const;
    void prune(Clock::time_point now);

    const double requests_per_minute_;
    const double tokens_per_minute_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Buckets> buckets_;
    std::size_t prune_at_ = 1024;
};

}  // namespace clawbot::service
