// TokenCache: the in-memory copy the I/O threads authenticate from.
#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "service/auth/access_token.h"
#include "service/auth/token_cache.h"

namespace clawbot::service {
namespace {

using namespace std::chrono_literals;

StoredToken make_token(const std::string& plaintext, const std::string& id, bool revoked = false) {
    StoredToken t;
    t.record.id = id;
    t.record.name = id;
    t.record.revoked = revoked;
    t.digest = *digest_access_token(plaintext);
    return t;
}

// A store stand-in whose token list the test edits, and which can fail.
struct FakeTokens {
    std::mutex mutex;
    std::vector<StoredToken> tokens;
    bool failing = false;
    std::atomic<int> loads{0};
    TokenCache::Loader loader() {
        return [this]() -> Result<std::vector<StoredToken>> {
            loads.fetch_add(1);
            std::lock_guard lock(mutex);
            if (failing) return make_error("store down");
            return tokens;
        };
    }
    void set(std::vector<StoredToken> t, bool fail = false) {
        std::lock_guard lock(mutex);
        tokens = std::move(t);
        failing = fail;
    }
};

// The verdict for `plaintext` once it is `wanted`, or the last one after 2 s
// (the cache reloads on its own thread).
TokenCache::Verdict verdict_within_2s(const TokenCache& cache, const std::string& plaintext, TokenCache::Verdict wanted) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    TokenCache::Verdict v = cache.lookup(*digest_access_token(plaintext)).verdict;
    while (v != wanted && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
        v = cache.lookup(*digest_access_token(plaintext)).verdict;
    }
    return v;
}

TEST(TokenCache, AnswersValidRefusedAndUnknownWithoutTheStore) {
    FakeTokens store;
    store.set({make_token("cb_alive", "tok_a"), make_token("cb_dead", "tok_d", true)});
    TokenCache cache(store.loader(), {.refresh_interval = 10s, .max_age = 30s});
    ASSERT_TRUE(cache.start().ok());
    const int loads = store.loads.load();

    const auto alive = cache.lookup(*digest_access_token("cb_alive"));
    EXPECT_EQ(alive.verdict, TokenCache::Verdict::Valid);
    EXPECT_EQ(alive.record.id, "tok_a");
    EXPECT_EQ(cache.lookup(*digest_access_token("cb_dead")).verdict, TokenCache::Verdict::Refused);
    EXPECT_EQ(cache.lookup(*digest_access_token("cb_never_made")).verdict, TokenCache::Verdict::Unknown);
    EXPECT_EQ(store.loads.load(), loads) << "a lookup went to the store";
}

TEST(TokenCache, ARevocationInTheStoreIsSeenOnTheNextReload) {
    FakeTokens store;
    store.set({make_token("cb_alive", "tok_a")});
    TokenCache cache(store.loader(), {.refresh_interval = 20ms, .max_age = 5s});
    ASSERT_TRUE(cache.start().ok());
    ASSERT_EQ(cache.lookup(*digest_access_token("cb_alive")).verdict, TokenCache::Verdict::Valid);
    store.set({make_token("cb_alive", "tok_a", true), make_token("cb_new", "tok_n")});
    EXPECT_EQ(verdict_within_2s(cache, "cb_alive", TokenCache::Verdict::Refused), TokenCache::Verdict::Refused);
    EXPECT_EQ(cache.lookup(*digest_access_token("cb_new")).verdict, TokenCache::Verdict::Valid);
}

TEST(TokenCache, RememberedTokensAnswerAtOnceAndUnknownOnesAreNeverKept) {
    FakeTokens store;
    TokenCache cache(store.loader(), {.refresh_interval = 10s, .max_age = 30s});
    ASSERT_TRUE(cache.start().ok());
    EXPECT_EQ(cache.lookup(*digest_access_token("cb_fresh")).verdict, TokenCache::Verdict::Unknown);
    cache.remember(make_token("cb_fresh", "tok_f"));
    EXPECT_EQ(cache.lookup(*digest_access_token("cb_fresh")).verdict, TokenCache::Verdict::Valid);
    // Many unknown lookups add nothing: still unknown, and the copy did not
    // take them in (a remembered token is the only way in).
    for (int i = 0; i < 1000; ++i) cache.lookup(*digest_access_token("cb_guess_" + std::to_string(i)));
    EXPECT_EQ(cache.lookup(*digest_access_token("cb_guess_1")).verdict, TokenCache::Verdict::Unknown);
}

TEST(TokenCache, AStaleCopySendsEveryLookupToTheStore) {
    FakeTokens store;
    store.set({make_token("cb_alive", "tok_a")});
    TokenCache cache(store.loader(), {.refresh_interval = 20ms, .max_age = 100ms});
    ASSERT_TRUE(cache.start().ok());
    ASSERT_EQ(cache.lookup(*digest_access_token("cb_alive")).verdict, TokenCache::Verdict::Valid);
    store.set({}, /*fail=*/true);
    std::this_thread::sleep_for(300ms);
    // Not trusted any more: Unknown, so the caller asks the store (and
    // answers 503 while it is down) instead of an old copy answering forever.
    EXPECT_EQ(cache.lookup(*digest_access_token("cb_alive")).verdict, TokenCache::Verdict::Unknown);
    store.set({make_token("cb_alive", "tok_a")});
    EXPECT_EQ(verdict_within_2s(cache, "cb_alive", TokenCache::Verdict::Valid), TokenCache::Verdict::Valid);
}

TEST(TokenCache, AFailedFirstLoadIsReportedAndRetried) {
    FakeTokens store;
    store.set({make_token("cb_alive", "tok_a")}, /*fail=*/true);
    TokenCache cache(store.loader(), {.refresh_interval = 20ms, .max_age = 5s});
    EXPECT_FALSE(cache.start().ok());
    EXPECT_EQ(cache.lookup(*digest_access_token("cb_alive")).verdict, TokenCache::Verdict::Unknown);
    store.set({make_token("cb_alive", "tok_a")});
    EXPECT_EQ(verdict_within_2s(cache, "cb_alive", TokenCache::Verdict::Valid), TokenCache::Verdict::Valid);
}

}  // namespace
}  // namespace clawbot::service
