// Prefix reuse in the KV manager: full blocks of a finished sequence serve
// the next request with the same prefix.
#include "engine/kv/kv_manager.h"

#include <numeric>

#include <gtest/gtest.h>

namespace clawbot {
namespace {

std::vector<int32_t> tokens(int n, int first = 1) {
    std::vector<int32_t> t(static_cast<size_t>(n));
    std::iota(t.begin(), t.end(), first);
    return t;
}

// Reserves, "computes" every prompt token and releases, as a request would.
void run_request(KvManager& kv, const std::vector<int32_t>& prompt, int max_tokens) {
    auto r = kv.reserve(prompt, static_cast<int>(prompt.size()) + max_tokens);
    ASSERT_TRUE(r.has_value());
    kv.publish(prompt, static_cast<int>(prompt.size()), r->kv);
    kv.release(r->kv);
}

TEST(KvManager, ReusesTheFullBlocksOfAPreviousPrompt) {
    KvManager kv(16, 4);
    const auto first = tokens(10);  // blocks [1..4] [5..8] full, [9 10] partial
    run_request(kv, first, 2);
    EXPECT_EQ(kv.cached_blocks(), 2);

    auto follow_up = tokens(14);  // same first 10 tokens, then more
    auto r = kv.reserve(follow_up, 20);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->cached_tokens, 8);
    EXPECT_EQ(r->kv.table.blocks.size(), 5u);
    EXPECT_EQ(kv.cached_blocks(), 0);  // both reused blocks are referenced again
}

TEST(KvManager, AlwaysLeavesTheLastPromptTokenToCompute) {
    KvManager kv(16, 4);
    run_request(kv, tokens(8), 1);
    auto r = kv.reserve(tokens(8), 9);  // the whole prompt is cached
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->cached_tokens, 4);  // the second block is recomputed for its logits
}

TEST(KvManager, DifferentPrefixesDoNotMatch) {
    KvManager kv(16, 4);
    run_request(kv, tokens(8), 1);
    auto other = tokens(8);
    other[1] = 99;  // the first block differs, so nothing after it can match
    auto r = kv.reserve(other, 9);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->cached_tokens, 0);
}

TEST(KvManager, ConcurrentRequestsShareBlocksOfACommonPrefix) {
    KvManager kv(8, 4);
    auto a = kv.reserve(tokens(9), 9);
    ASSERT_TRUE(a.has_value());
    kv.publish(tokens(9), 9, a->kv);
    auto b = kv.reserve(tokens(9), 9);  // while a still runs
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->cached_tokens, 8);
    EXPECT_EQ(a->kv.table.blocks[0], b->kv.table.blocks[0]);
    EXPECT_EQ(a->kv.table.blocks[1], b->kv.table.blocks[1]);
    EXPECT_EQ(kv.free_blocks(), 8 - 3 - 1);  // 3 for a, 1 more for b
}

TEST(KvManager, ReservationIsAllOrNothingAndEvictsCachedBlocksWhenNeeded) {
    KvManager kv(4, 4);
    run_request(kv, tokens(9), 3);  // two full blocks stay cached
    EXPECT_EQ(kv.cached_blocks(), 2);
    EXPECT_FALSE(kv.reserve(tokens(20, 500), 20).has_value());  // 5 blocks > 4
    EXPECT_EQ(kv.cached_blocks(), 2) << "a refused reservation must change nothing";
    auto r = kv.reserve(tokens(16, 500), 16);  // needs all 4: evicts the cache
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(kv.cached_blocks(), 0);
    kv.release(r->kv);
    auto again = kv.reserve(tokens(9), 9);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->cached_tokens, 0) << "evicted blocks must not be reused";
}

}  // namespace
}  // namespace clawbot
