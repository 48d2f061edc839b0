// The sliding-window pool behind the KV manager: a sequence holds only the
// window blocks its next step reads, gives the rest back as it advances,
// is charged the most it can hold at once, and reuses a cached prefix only
// as far as the window blocks of its end are still cached.
#include <numeric>

#include <gtest/gtest.h>

#include "engine/kv/kv_manager.h"
#include "engine/kv/window_span.h"

namespace clawbot {
namespace {

constexpr int kBlock = 4;
constexpr int kWindow = 6;
constexpr int kStep = 4;
// The most window blocks one sequence holds at once: a step of 4 positions
// and the 5 before it touch at most 3 blocks of 4.
constexpr int kQuota = 3;

std::vector<int32_t> tokens(int n, int first = 1) {
    std::vector<int32_t> t(static_cast<size_t>(n));
    std::iota(t.begin(), t.end(), first);
    return t;
}

KvManager windowed(int window_blocks, int full_blocks = 64) {
    return KvManager(full_blocks, kBlock, WindowPoolOptions{window_blocks, kWindow, kStep});
}

int held(const SequenceKv& kv) { return static_cast<int>(kv.window.table.blocks.size()) - kv.window.given_back; }

// Computes `seq` from cached_tokens on in steps of kStep, as the engine
// does (extend, forward, publish, trim); returns the most window blocks
// held at once.
int compute(KvManager& kv, const std::vector<int32_t>& seq, SequenceKv& blocks, int from) {
    int most = held(blocks);
    for (int p = from; p < static_cast<int>(seq.size()); p += kStep) {
        const int end = std::min(p + kStep, static_cast<int>(seq.size()));
        EXPECT_TRUE(kv.extend_window(blocks, end)) << p;
        most = std::max(most, held(blocks));
        kv.publish(seq, end, blocks);
        kv.trim_window(blocks, end);
    }
    return most;
}

TEST(KvWindow, TheBoundCoversAWindowPlusAStepWhereverTheyFall) {
    EXPECT_EQ(window_blocks_at_once(kWindow, kBlock, kStep), kQuota);
    EXPECT_EQ(window_blocks_per_sequence(kWindow, kBlock, kStep, 5), 2) << "a short sequence needs only its own blocks";
    // Gemma 3: a 1024-token window and 256-token steps in blocks of 16.
    EXPECT_EQ(window_blocks_at_once(1024, 16, 256), 81);
    EXPECT_EQ(window_start(3, 8), 0);
    EXPECT_EQ(window_start(20, 8), 13);
}

TEST(KvWindow, BlocksBehindEveryWindowGoBackAsTheSequenceAdvances) {
    KvManager kv = windowed(16);
    const auto seq = tokens(40);  // 10 blocks of positions
    auto r = kv.reserve(seq, 40);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->kv.window.quota, kQuota);
    EXPECT_EQ(kv.window_pool()->committed_blocks(), kQuota);
    int most = 0;
    for (int p = 0; p < 40; p += kStep) {
        ASSERT_TRUE(kv.extend_window(r->kv, p + kStep));
        most = std::max(most, held(r->kv));
        kv.publish(seq, p + kStep, r->kv);
        kv.trim_window(r->kv, p + kStep);
        // The next step starts at p + 4 and reads back to p - 1.
        const int first_needed = window_start(p + kStep, kWindow) / kBlock;
        EXPECT_EQ(r->kv.window.given_back, first_needed) << p;
        for (int b = 0; b < first_needed; ++b) EXPECT_EQ(r->kv.window.table.blocks[static_cast<size_t>(b)], kNoBlock);
        EXPECT_EQ(kv.window_pool()->free_blocks(), 16 - held(r->kv)) << "given back at " << p;
    }
    EXPECT_LE(most, kQuota);
    EXPECT_EQ(r->kv.table.blocks.size(), 10u) << "the full-context table keeps every position";
    EXPECT_GT(kv.window_pool()->cached_blocks(), 0) << "given-back full blocks stay cached for reuse";
    kv.release(r->kv);
    EXPECT_EQ(kv.window_pool()->free_blocks(), 16);
    EXPECT_EQ(kv.window_pool()->committed_blocks(), 0);
}

TEST(KvWindow, StepsOfAnyLengthWithinTheBudgetStayWithinTheQuota) {
    KvManager kv = windowed(kQuota, 80);
    const auto seq = tokens(300);
    auto r = kv.reserve(seq, 300);
    ASSERT_TRUE(r.has_value());
    int most = 0;
    uint32_t state = 12345;
    for (int p = 0; p < 300;) {
        state = state * 1103515245u + 12345u;
        const int end = std::min(p + 1 + static_cast<int>((state >> 16) % kStep), 300);
        ASSERT_TRUE(kv.extend_window(r->kv, end)) << "step " << p << ".." << end;
        most = std::max(most, held(r->kv));
        kv.publish(seq, end, r->kv);
        kv.trim_window(r->kv, end);
        p = end;
    }
    EXPECT_EQ(most, kQuota) << "the bound is reached, never passed";
}

TEST(KvWindow, AStepLongerThanThePoolWasSizedForIsRefused) {
    KvManager kv = windowed(16);
    auto r = kv.reserve(tokens(40), 40);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(kv.extend_window(r->kv, 20)) << "5 blocks at once exceed the quota of 3";
}

TEST(KvWindow, ReservationChargesTheQuotaAllOrNothing) {
    KvManager kv = windowed(2 * kQuota, 16);
    auto a = kv.reserve(tokens(20, 100), 20);
    auto b = kv.reserve(tokens(20, 200), 20);
    ASSERT_TRUE(a.has_value());
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(kv.free_blocks(), 16 - 10);
    EXPECT_FALSE(kv.reserve(tokens(4, 300), 4).has_value()) << "every window block is promised";
    EXPECT_EQ(kv.free_blocks(), 16 - 10) << "a refused reservation holds nothing of the full-context pool either";
    // Neither running sequence can be starved: each gets its blocks.
    EXPECT_LE(compute(kv, tokens(20, 100), a->kv, 0), kQuota);
    EXPECT_LE(compute(kv, tokens(20, 200), b->kv, 0), kQuota);
    kv.release(a->kv);
    EXPECT_TRUE(kv.reserve(tokens(4, 300), 4).has_value());
}

TEST(KvWindow, APrefixIsReusedWithTheWindowBlocksOfItsEnd) {
    KvManager kv = windowed(16);
    const auto first = tokens(32);
    auto a = kv.reserve(first, 32);
    ASSERT_TRUE(a.has_value());
    compute(kv, first, a->kv, 0);
    kv.release(a->kv);

    const auto follow_up = tokens(40);  // the same 32 tokens, then more
    auto b = kv.reserve(follow_up, 48);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->cached_tokens, 32);
    // Position 32 reads back to 27: blocks 6 and 7 are reused, the rest stay given back.
    EXPECT_EQ(b->kv.window.given_back, 6);
    ASSERT_EQ(b->kv.window.table.blocks.size(), 8u);
    EXPECT_NE(b->kv.window.table.blocks[6], kNoBlock);
    EXPECT_NE(b->kv.window.table.blocks[7], kNoBlock);
    EXPECT_LE(compute(kv, follow_up, b->kv, 32), kQuota);
}

TEST(KvWindow, APrefixWhoseWindowBlocksWereEvictedIsRecomputed) {
    KvManager kv = windowed(kQuota);  // one sequence's worth: the next evicts the last one's cache
    const auto first = tokens(32);
    auto a = kv.reserve(first, 32);
    ASSERT_TRUE(a.has_value());
    compute(kv, first, a->kv, 0);
    kv.release(a->kv);
    const auto other = tokens(32, 500);
    auto c = kv.reserve(other, 32);
    ASSERT_TRUE(c.has_value());
    compute(kv, other, c->kv, 0);
    kv.release(c->kv);

    auto b = kv.reserve(tokens(40), 40);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->cached_tokens, 0) << "the full-context blocks are cached, but not the window's";
    EXPECT_EQ(kv.cached_blocks(), 16) << "unreused full-context blocks of both stay cached";
}

TEST(KvWindow, TheReusedPrefixShrinksToWhereTheWindowBlocksAreCached) {
    WindowPool pool(16, kBlock, kWindow, kStep);
    const BlockId x = 0;
    // Reusing k blocks needs blocks (4k - 5) / 4 .. k - 1: those of the last window.
    const std::vector<BlockId> all = {x, x, x, x, x, x};
    EXPECT_EQ(pool.reusable_blocks(all), 6);
    const std::vector<BlockId> hole_early = {x, x, x, kNoBlock, x, x};
    EXPECT_EQ(pool.reusable_blocks(hole_early), 6) << "block 3 is behind the window of position 24";
    const std::vector<BlockId> last_missing = {x, x, x, x, x, kNoBlock};
    EXPECT_EQ(pool.reusable_blocks(last_missing), 5);
    const std::vector<BlockId> only_first = {x, kNoBlock, kNoBlock};
    EXPECT_EQ(pool.reusable_blocks(only_first), 1);
    const std::vector<BlockId> gap_first = {kNoBlock, x, x, kNoBlock};
    EXPECT_EQ(pool.reusable_blocks(gap_first), 3) << "blocks 1 and 2 cover the window of position 12";
}

TEST(KvWindow, ConcurrentSequencesShareWindowBlocksAndBothFinish) {
    KvManager kv = windowed(2 * kQuota);
    const auto prompt = tokens(33);
    auto a = kv.reserve(prompt, 40);
    ASSERT_TRUE(a.has_value());
    compute(kv, prompt, a->kv, 0);  // a still holds the blocks of its last window
    auto b = kv.reserve(prompt, 40);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->cached_tokens, 32);
    EXPECT_EQ(b->kv.window.table.blocks[7], a->kv.window.table.blocks[7]) << "shared while both hold it";
    // Both go on to the end of their reservations, a's blocks given back under b.
    const auto longer = tokens(40);
    compute(kv, longer, a->kv, 33);
    compute(kv, longer, b->kv, 32);
    kv.release(a->kv);
    kv.release(b->kv);
    EXPECT_EQ(kv.window_pool()->free_blocks(), 2 * kQuota);
    EXPECT_EQ(kv.window_pool()->committed_blocks(), 0);
}

TEST(KvWindow, WithoutAWindowPoolNothingChanges) {
    KvManager kv(16, kBlock);
    EXPECT_EQ(kv.window_pool(), nullptr);
    auto r = kv.reserve(tokens(10), 12);
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(kv.extend_window(r->kv, 12));
    kv.trim_window(r->kv, 12);
    EXPECT_TRUE(r->kv.window.table.blocks.empty());
    EXPECT_EQ(r->kv.table.blocks.size(), 3u);
}

}  // namespace
}  // namespace clawbot
