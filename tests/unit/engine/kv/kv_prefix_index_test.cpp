// PrefixIndex: full KV blocks found by the chained hash of their tokens.
#include "engine/kv/prefix_index.h"

#include <gtest/gtest.h>

namespace clawbot {
namespace {

TEST(PrefixIndex, FindsABlockByItsChainAndTokens) {
    PrefixIndex index(8);
    const std::vector<int32_t> first = {1, 2, 3, 4}, second = {5, 6, 7, 8};
    const PrefixHash h1 = chain_hash(kRootPrefixHash, first);
    const PrefixHash h2 = chain_hash(h1, second);
    ASSERT_TRUE(index.insert(h1, kRootPrefixHash, first, 3));
    ASSERT_TRUE(index.insert(h2, h1, second, 5));
    EXPECT_EQ(index.find(h1, kRootPrefixHash, first), BlockId{3});
    EXPECT_EQ(index.find(h2, h1, second), BlockId{5});
    EXPECT_EQ(index.size(), 2u);
}

TEST(PrefixIndex, TheSameTokensAfterADifferentPrefixAreAnotherBlock) {
    PrefixIndex index(8);
    const std::vector<int32_t> a = {1, 2, 3, 4}, b = {9, 9, 9, 9}, tail = {5, 6, 7, 8};
    const PrefixHash ha = chain_hash(kRootPrefixHash, a), hb = chain_hash(kRootPrefixHash, b);
    EXPECT_NE(chain_hash(ha, tail), chain_hash(hb, tail));
    ASSERT_TRUE(index.insert(chain_hash(ha, tail), ha, tail, 1));
    EXPECT_FALSE(index.find(chain_hash(hb, tail), hb, tail).has_value());
}

TEST(PrefixIndex, AHashCollisionIsCaughtByTheStoredTokensAndParent) {
    PrefixIndex index(8);
    const std::vector<int32_t> stored = {1, 2, 3, 4}, other = {4, 3, 2, 1};
    const PrefixHash h = chain_hash(kRootPrefixHash, stored);
    ASSERT_TRUE(index.insert(h, kRootPrefixHash, stored, 2));
    // Asked with the same hash but other content (a collision): not found.
    EXPECT_FALSE(index.find(h, kRootPrefixHash, other).has_value());
    EXPECT_FALSE(index.find(h, h, stored).has_value());
}

TEST(PrefixIndex, AHashIsIndexedOnceAndABlockReusedForOtherContentLosesItsOldEntry) {
    PrefixIndex index(8);
    const std::vector<int32_t> t = {1, 2, 3, 4}, u = {5, 6, 7, 8};
    const PrefixHash ht = chain_hash(kRootPrefixHash, t), hu = chain_hash(kRootPrefixHash, u);
    ASSERT_TRUE(index.insert(ht, kRootPrefixHash, t, 0));
    EXPECT_FALSE(index.insert(ht, kRootPrefixHash, t, 1)) << "a second block with the same content";
    EXPECT_EQ(index.find(ht, kRootPrefixHash, t), BlockId{0});
    // Block 0 evicted and refilled with other tokens.
    ASSERT_TRUE(index.insert(hu, kRootPrefixHash, u, 0));
    EXPECT_FALSE(index.find(ht, kRootPrefixHash, t).has_value());
    EXPECT_EQ(index.find(hu, kRootPrefixHash, u), BlockId{0});
    index.erase(0);
    EXPECT_FALSE(index.find(hu, kRootPrefixHash, u).has_value());
    EXPECT_EQ(index.size(), 0u);
    index.erase(0);  // erasing twice is harmless
}

}  // namespace
}  // namespace clawbot
