// forward(batch) over several sequences gives each the logits it would get
// alone: the paged KV cache keeps them apart.
#include <gtest/gtest.h>

#include "engine/model/forward.h"
#include "support/model_runner.h"
#include "support/test_support.h"

namespace clawbot {
namespace {

TEST(ForwardBatch, InterleavedSequencesMatchSeparateRuns) {
    auto model = Model::load(test::shared_path("models/synth-spm-q8_0.gguf"));
    ASSERT_TRUE(model.ok()) << model.error().message;
    const Model& m = **model;
    ThreadPool pool(2);
    const std::vector<TokenId> a = {1, 450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203, 29889, 29871, 30919, 31076, 30214, 30793};
    const std::vector<TokenId> b = {1, 910, 338, 263, 1243, 29889};
    const auto alone_a = test::logits_at_every_position(m, pool, a);
    const auto alone_b = test::logits_at_every_position(m, pool, b);

    // Both sequences in one cache; blocks handed out interleaved so that
    // neither owns a contiguous range.
    constexpr int kBlock = 16;
    BlockPool blocks(8);
    KvStorage kv(KvLayout{m.config().n_layers, m.config().kv_dim(), kBlock, 8});
    ForwardPass fwd(m, kv, pool, 64, 64);
    BlockTable ta, tb;
    for (int i = 0; i < 2; ++i) {
        tb.blocks.push_back(*blocks.allocate());
        ta.blocks.push_back(*blocks.allocate());
    }
    // Step 1: a's first 10 tokens and all of b's prompt in one batch.
    Batch batch;
    batch.tables = {&ta, &tb};
    for (int i = 0; i < 10; ++i) batch.tokens.push_back({a[i], i, 0, i == 9});
    for (int i = 0; i < 6; ++i) batch.tokens.push_back({b[i], i, 1, i == 5});
    std::vector<float> logits(2 * static_cast<size_t>(m.config().n_vocab));
    ASSERT_TRUE(fwd.forward(batch, logits).ok());
    const size_t V = static_cast<size_t>(m.config().n_vocab);
    std::vector<float> a9(logits.begin(), logits.begin() + V), b5(logits.begin() + V, logits.end());
    EXPECT_GE(test::cosine_similarity(a9, alone_a[9]), 0.99999);
    EXPECT_GE(test::cosine_similarity(b5, alone_b[5]), 0.99999);

    // Step 2: the rest of a, one token at a time, each alongside nothing else.
    for (size_t i = 10; i < a.size(); ++i) {
        batch.tokens = {{a[i], static_cast<int32_t>(i), 0, true}};
        ASSERT_TRUE(fwd.forward(batch, logits).ok());
        std::vector<float> row(logits.begin(), logits.begin() + V);
        EXPECT_GE(test::cosine_similarity(row, alone_a[i]), 0.99999) << i;
    }
}

TEST(ForwardBatch, RejectsPositionsWithoutBlocksAndBadTokens) {
    auto model = Model::load(test::shared_path("models/stories260K.gguf"));
    ASSERT_TRUE(model.ok());
    ThreadPool pool(1);
    BlockPool blocks(2);
    KvStorage kv(KvLayout{(*model)->config().n_layers, (*model)->config().kv_dim(), 16, 2});
    ForwardPass fwd(**model, kv, pool, 8, 32);
    BlockTable table;
    table.blocks.push_back(*blocks.allocate());
    std::vector<float> logits(static_cast<size_t>((*model)->config().n_vocab));
    Batch batch;
    batch.tables = {&table};
    batch.tokens = {{1, 16, 0, true}};  // position 16 needs a second block
    EXPECT_FALSE(fwd.forward(batch, logits).ok());
    batch.tokens = {{100000, 0, 0, true}};
    EXPECT_FALSE(fwd.forward(batch, logits).ok());
    batch.tokens = {{1, 0, 0, true}};
    EXPECT_TRUE(fwd.forward(batch, logits).ok());
}

TEST(ForwardBatch, SlidingWindowLayersCanLiveInTheirOwnStorageAndTables) {
    // gemma3: five local layers of six, a window of 8 positions.
    auto model = Model::load(test::shared_path("models/synth-gemma3-q5_k_m.gguf"));
    ASSERT_TRUE(model.ok()) << model.error().message;
    const Model& m = **model;
    ThreadPool pool(2);
    std::vector<TokenId> prompt = {1};
    for (int i = 1; i < 40; ++i) prompt.push_back(static_cast<TokenId>(3 + i * 7 % 500));
    const auto every_layer_together = test::logits_at_every_position(m, pool, prompt);

    KvStorage full(KvLayout{1, m.config().kv_dim(), 16, 3});
    KvStorage window(KvLayout{5, m.config().kv_dim(), 16, 3});
    ForwardPass fwd(m, full, pool, 64, 64, &window);
    // The window table's blocks in another order than the full table's.
    BlockTable table{{0, 1, 2}}, window_table{{2, 0, 1}};
    Batch batch;
    batch.tables = {&table};
    batch.window_tables = {&window_table};
    for (int i = 0; i < 40; ++i) batch.tokens.push_back({prompt[static_cast<size_t>(i)], i, 0, true});
    const size_t V = static_cast<size_t>(m.config().n_vocab);
    std::vector<float> logits(40 * V);
    ASSERT_TRUE(fwd.forward(batch, logits).ok());
    for (size_t i = 0; i < 40; ++i) {
        const std::vector<float> row(logits.begin() + static_cast<long>(i * V), logits.begin() + static_cast<long>((i + 1) * V));
        EXPECT_EQ(row, every_layer_together[i]) << "position " << i;
    }

    // Position 36 reads back to 29: block 0 may be given back, block 1 not.
    window_table.blocks[0] = kNoBlock;
    batch.tokens = {{5, 36, 0, true}};
    EXPECT_TRUE(fwd.forward(batch, logits).ok());
    window_table.blocks[1] = kNoBlock;
    EXPECT_FALSE(fwd.forward(batch, logits).ok());
    batch.window_tables.clear();
    EXPECT_FALSE(fwd.forward(batch, logits).ok()) << "a batch without window tables";
}

}  // namespace
}  // namespace clawbot
