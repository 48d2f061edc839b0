#include <gtest/gtest.h>

#include "service/auth/token_rate_limiter.h"

namespace clawbot::service {
namespace {

using namespace std::chrono_literals;

TEST(TokenRateLimiter, RequestsRefillOverAMinutePerToken) {
    TokenRateLimiter limiter(2, 0);
    const auto t0 = TokenRateLimiter::Clock::now();
    EXPECT_TRUE(limiter.admit("a", t0).admitted);
    EXPECT_TRUE(limiter.admit("a", t0).admitted);
    const auto refused = limiter.admit("a", t0);
    EXPECT_FALSE(refused.admitted);
    EXPECT_STREQ(refused.limit, "requests");
    EXPECT_EQ(refused.retry_after_s, 30);  // one request's worth of a 2-per-minute bucket
    EXPECT_TRUE(limiter.admit("b", t0).admitted) << "another token has its own allowance";
    EXPECT_FALSE(limiter.admit("a", t0 + 29s).admitted);
    EXPECT_TRUE(limiter.admit("a", t0 + 31s).admitted);
}

TEST(TokenRateLimiter, TokensAreChargedAfterTheFactAndBlockUntilRepaid) {
    TokenRateLimiter limiter(0, 600);
    const auto t0 = TokenRateLimiter::Clock::now();
    EXPECT_TRUE(limiter.admit("a", t0).admitted);
    limiter.charge_tokens("a", 900, t0);  // 300 over
    const auto refused = limiter.admit("a", t0);
    EXPECT_FALSE(refused.admitted);
    EXPECT_STREQ(refused.limit, "tokens");
    EXPECT_EQ(refused.retry_after_s, 31);  // 301 tokens at 10 per second
    EXPECT_TRUE(limiter.admit("a", t0 + 31s).admitted);
}

TEST(TokenRateLimiter, OffWhenBothLimitsAreZeroAndIdleEntriesArePruned) {
    TokenRateLimiter off(0, 0);
    EXPECT_FALSE(off.enabled());
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(off.admit("a").admitted);
    EXPECT_EQ(off.tracked_tokens(), 0u);
    TokenRateLimiter limiter(60, 0);
    const auto t0 = TokenRateLimiter::Clock::now();
    for (int i = 0; i < 5000; ++i) limiter.admit("token" + std::to_string(i), t0 + std::chrono::milliseconds(i * 20));
    // Entries whose bucket has refilled are forgotten as the table grows.
    EXPECT_LT(limiter.tracked_tokens(), 2100u);
}

}  // namespace
}  // namespace clawbot::service
