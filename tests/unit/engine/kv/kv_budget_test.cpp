// The default KV budget: every batch slot at full context in the layers
// that keep every position, a window's worth per slot in the others.
#include "engine/kv/kv_budget.h"

#include <gtest/gtest.h>

namespace clawbot {
namespace {

TEST(KvBudget, WithoutAWindowEveryLayerKeepsEveryPosition) {
    const KvBudget b = default_kv_budget(KvShape{.n_layers = 6, .kv_dim = 64}, 16, 2048);
    EXPECT_EQ(b.tokens, 16 * 2048);
    EXPECT_EQ(b.bytes_per_token, 6 * 2 * 64 * 2);
    EXPECT_EQ(b.window_blocks, 0);
    EXPECT_EQ(b.bytes(), b.tokens * b.bytes_per_token);
    EXPECT_FALSE(b.capped);
}

TEST(KvBudget, SlidingWindowLayersTakeOnlyTheirWindowsPerBatchSlot) {
    // The gemma3 fixture: 5 local layers of 6, a window of 8, blocks of 16, steps of 256.
    const KvShape shape{.n_layers = 6, .n_window_layers = 5, .kv_dim = 64, .window = 8};
    const KvBudget b = default_kv_budget(shape, 16, 2048);
    EXPECT_EQ(b.tokens, 16 * 2048) << "the full-context pool holds what it held before";
    EXPECT_EQ(b.bytes_per_token, 1 * 2 * 64 * 2);
    // (8 + 256 - 2) / 16 rounded up, + 1 = 18 blocks a sequence.
    EXPECT_EQ(b.window_blocks, 16 * 18);
    EXPECT_EQ(b.window_bytes, 16 * 18 * 16 * 5 * 2 * 64 * 2);
    const KvBudget every = default_kv_budget(KvShape{.n_layers = 6, .kv_dim = 64}, 16, 2048);
    EXPECT_LT(b.bytes() * 3, every.bytes()) << b.bytes() << " against " << every.bytes();
}

TEST(KvBudget, UnderTheCapAWindowLeavesRoomForSeveralTimesTheContext) {
    // A Gemma 3 1B shape: 26 layers of which 22 local, one KV head of 256,
    // a 512-token window; 16 sequences of 32768 tokens do not fit in 1 GiB.
    const KvShape every{.n_layers = 26, .kv_dim = 256};
    const KvShape windowed{.n_layers = 26, .n_window_layers = 22, .kv_dim = 256, .window = 512};
    const KvBudget a = default_kv_budget(every, 16, 32768);
    const KvBudget b = default_kv_budget(windowed, 16, 32768);
    EXPECT_TRUE(a.capped);
    EXPECT_TRUE(b.capped);
    EXPECT_EQ(a.tokens, (std::int64_t{1} << 30) / (26 * 2 * 256 * 2)) << "as many tokens as fit, as before";
    EXPECT_GT(b.tokens, 5 * a.tokens);
    // Window blocks for that many full-context sequences (7.07, rounded up): 49 blocks each.
    EXPECT_EQ(b.window_blocks, (b.tokens * 49 + 32767) / 32768);
    // About the cap: the window pool rounds up to whole blocks.
    EXPECT_LE(a.bytes(), std::int64_t{1} << 30);
    EXPECT_LE(b.bytes(), (std::int64_t{1} << 30) + 16 * 22 * 2 * 256 * 2);
}

TEST(KvBudget, NeverLessThanOneSequenceAtFullContextInBothPools) {
    const KvShape windowed{.n_layers = 62, .n_window_layers = 52, .kv_dim = 4096, .window = 1024};
    const KvBudget b = default_kv_budget(windowed, 16, 8192);
    EXPECT_TRUE(b.capped);
    EXPECT_EQ(b.tokens, 8192);
    EXPECT_EQ(b.window_blocks, (1024 + 256 - 2 + 15) / 16 + 1);
}

}  // namespace
}  // namespace clawbot
