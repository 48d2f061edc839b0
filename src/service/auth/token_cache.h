#pragma once
// Every access token's digest and record, in memory, so that an I/O thread
// authenticates a request without waiting on a store.
//
// A background thread reloads the whole set every `refresh_interval`, so a
// token revoked anywhere (the CLI, another node sharing Redis) is refused
// by this process within about that time. A token missing from the copy
// (created since the last reload) is not refused here: lookup() answers
// Unknown and the caller asks the store off the I/O thread, then
// remember()s what it found. Unknown tokens are never stored, so nothing a
// client sends makes the copy grow: it holds the store's tokens and no more.
//
// When reloads stop succeeding (the store is down), the copy goes stale
// after `max_age` and every lookup answers Unknown: requests then go to the
// store, which answers 503, rather than trusting an old copy forever.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "service/auth/token_record.h"

namespace clawbot::service {

class TokenCache {
public:
    // Every token, revoked ones included (marked revoked).
    using Loader = std::function<Result<std::vector<StoredToken>>()>;
    using Clock = std::chrono::steady_clock;
    struct Options {
        std::chrono::milliseconds refresh_interval{1000};
        std::chrono::milliseconds max_age{3000};
    };
    enum class Verdict {
        Valid,    // `record` is the caller
        Refused,  // revoked: answer 401
        Unknown,  // not in the copy, or the copy is stale: ask the store
    };
    struct Answer {
        Verdict verdict = Verdict::Unknown;
        TokenRecord record;
    };

    TokenCache(Loader loader, Options options);
    ~TokenCache();  // stops the refresher
    TokenCache(const TokenCache&) = delete;
    TokenCache& operator=(const TokenCache&) = delete;

    // Loads once now (its error is returned, the refresher still starts and
    // keeps trying) and starts the background reloads. Call once.
    Result<void> start();
    // Thread-safe, no store call, no allocation beyond the record's copy.
    Answer lookup(const TokenDigest& digest) const;
    // A token the store just returned that the copy lacks.
    void remember(const StoredToken& token);

private:
    struct DigestHash {
        std::size_t operator()(const TokenDigest& d) const noexcept;
    };
    using Table = std::unordered_map<TokenDigest, StoredToken, DigestHash>;

    void reload();
    void refresh_loop();

    const Loader loader_;
    const Options options_;
    mutable std::shared_mutex table_mutex_;
    Table table_;
    Clock::time_point loaded_at_{};  // of table_; epoch: never loaded
    std::optional<std::string> last_error_;

    std::mutex stop_mutex_;
    std::condition_variable stop_cv_;
    bool stopping_ = false;
    std::thread refresher_;
};

}  // namespace clawbot::service
