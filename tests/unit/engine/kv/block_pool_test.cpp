#include "engine/kv/block_pool.h"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

namespace clawbot {
namespace {

TEST(BlockPool, AllocatesEveryBlockOnceThenRefuses) {
    BlockPool pool(4);
    std::set<BlockId> seen;
    for (int i = 0; i < 4; ++i) {
        auto b = pool.allocate();
        ASSERT_TRUE(b.has_value());
        EXPECT_TRUE(seen.insert(*b).second);
        EXPECT_EQ(pool.ref_count(*b), 1);
    }
    EXPECT_FALSE(pool.allocate().has_value());
    EXPECT_EQ(pool.free_count(), 0);
}

TEST(BlockPool, BulkAllocationIsAllOrNothing) {
    BlockPool pool(5);
    auto three = pool.allocate(3);
    ASSERT_TRUE(three.has_value());
    EXPECT_EQ(three->size(), 3u);
    EXPECT_FALSE(pool.allocate(3).has_value());
    EXPECT_EQ(pool.free_count(), 2);
}

TEST(BlockPool, BlockReturnsOnlyWhenLastReferenceIsDropped) {
    BlockPool pool(1);
    const BlockId b = *pool.allocate();
    pool.retain(b);
    pool.release(b);
    EXPECT_EQ(pool.free_count(), 0);
    pool.release(b);
    EXPECT_EQ(pool.free_count(), 1);
    pool.release(b);  // a stray release must not put the block in twice
    EXPECT_EQ(pool.free_count(), 1);
    EXPECT_TRUE(pool.allocate().has_value());
    EXPECT_FALSE(pool.allocate().has_value());
}

}  // namespace
}  // namespace clawbot

namespace clawbot {
namespace {

TEST(BlockPool, CachedBlocksWaitInLruOrderAndAreEvictedLast) {
    BlockPool pool(3);
    std::vector<BlockId> evicted;
    pool.on_evict([&](BlockId id) { evicted.push_back(id); });
    const BlockId a = *pool.allocate(), b = *pool.allocate(), c = *pool.allocate();
    pool.set_cached(a, true);
    pool.set_cached(b, true);
    pool.release(b);  // b becomes least recently used
    pool.release(a);
    pool.release(c);  // not cached: plainly free
    EXPECT_EQ(pool.free_count(), 3);
    EXPECT_EQ(pool.cached_count(), 2);
    EXPECT_EQ(*pool.allocate(), c);  // free blocks go first
    EXPECT_TRUE(evicted.empty());
    EXPECT_EQ(*pool.allocate(), b);  // then the least recently used cached one
    EXPECT_EQ(evicted, std::vector<BlockId>{b});
    pool.retain(a);                  // reused: no longer evictable
    EXPECT_FALSE(pool.allocate().has_value());
    EXPECT_EQ(pool.ref_count(a), 1);
}

}  // namespace
}  // namespace clawbot
