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
