// Gemma 3's sliding-window layers through the engine: their KV blocks go
// back to their pool as a long request moves past its window, and the
// logits are those of keeping every position, with or without a reused
// prefix. The fixture's window is 8 positions, every sixth layer global.
#include <algorithm>

#include <gtest/gtest.h>

#include "engine/kv/window_span.h"
#include "engine/scheduler/engine.h"
#include "support/collecting_sink.h"
#include "support/test_support.h"

namespace clawbot {
namespace {

// Also notes the window pool's free and cached blocks as each token arrives.
class WindowWatchingSink : public test::CollectingSink {
public:
    explicit WindowWatchingSink(const InferenceEngine& engine) : engine_(engine) {}
    void on_token(TokenId token, std::string_view text) override {
        const EngineStats s = engine_.stats();
        window_free.push_back(s.kv_window_blocks_free);
        window_cached.push_back(s.kv_window_blocks_cached);
        CollectingSink::on_token(token, text);
    }

    std::vector<int> window_free, window_cached;

private:
    const InferenceEngine& engine_;
};

class EngineWindowTest : public testing::Test {
protected:
    static constexpr int kStepTokens = 32;

    void SetUp() override {
        auto model = Model::load(test::shared_path("models/synth-gemma3-q5_k_m.gguf"));
        ASSERT_TRUE(model.ok()) << model.error().message;
        model_ = std::move(*model);
        ASSERT_EQ(model_->config().sliding_window, 8);
    }

    EngineOptions options(bool window_pool) const {
        return EngineOptions{.threads = 2, .context_size = 512, .max_batch_size = 2, .step_token_budget = kStepTokens,
                             .window_kv_pool = window_pool};
    }

    // Greedy, every token emitted (a random model's end-of-generation is no end here).
    std::shared_ptr<WindowWatchingSink> run(InferenceEngine& engine, std::vector<TokenId> prompt, int max_tokens) {
        auto sink = std::make_shared<WindowWatchingSink>(engine);
        GenerationRequest r;
        r.prompt = std::move(prompt);
        r.max_tokens = max_tokens;
        r.sampling.temperature = 0.0f;
        r.stop_at_eog = false;
        r.want_logits = true;
        r.sink = sink;
        auto submitted = engine.submit(std::move(r));
        EXPECT_TRUE(submitted.ok());
        EXPECT_TRUE(sink->wait());
        EXPECT_EQ(sink->reason, FinishReason::Length) << sink->error;
        return sink;
    }

    static std::vector<TokenId> prompt(int n, int seed) {
        std::vector<TokenId> p = {1};
        for (int i = 1; i < n; ++i) p.push_back(static_cast<TokenId>(3 + (i * 37 + seed * 101) % 500));
        return p;
    }

    std::unique_ptr<Model> model_;
};

TEST_F(EngineWindowTest, ALongRequestGivesBackWindowBlocksAndGetsTheLogitsOfKeepingEveryPosition) {
    // 150 prompt tokens and 100 generated: 16 blocks of positions, a window of 8.
    InferenceEngine windowed(*model_, options(true));
    const EngineStats before = windowed.stats();
    const int quota = window_blocks_at_once(8, 16, kStepTokens);  // (8 + 32 - 2) / 16 rounded up, + 1
    EXPECT_EQ(quota, 4);
    EXPECT_EQ(before.kv_window_blocks_total, 2 * quota) << "a window's worth for each batch slot";
    EXPECT_EQ(before.kv_blocks_total, 2 * 512 / 16) << "the full-context pool is sized as before";
    auto with_pool = run(windowed, prompt(150, 1), 100);

    InferenceEngine every_position(*model_, options(false));
    EXPECT_EQ(every_position.stats().kv_window_blocks_total, 0);
    auto without_pool = run(every_position, prompt(150, 1), 100);

    ASSERT_EQ(with_pool->tokens.size(), 100u);
    EXPECT_EQ(with_pool->tokens, without_pool->tokens);
    ASSERT_EQ(with_pool->logits.size(), without_pool->logits.size());
    for (size_t i = 0; i < with_pool->logits.size(); ++i) {
        EXPECT_EQ(with_pool->logits[i], without_pool->logits[i]) << "the same arithmetic on the same K/V, token " << i;
    }
    // While it ran it never held more than its quota, and blocks it gave
    // back stayed cached for reuse; at the end everything is free again.
    EXPECT_GE(*std::min_element(with_pool->window_free.begin(), with_pool->window_free.end()), 2 * quota - quota);
    EXPECT_GT(*std::max_element(with_pool->window_cached.begin(), with_pool->window_cached.end()), 0);
    EXPECT_EQ(windowed.stats().kv_window_blocks_free, 2 * quota);
    EXPECT_EQ(windowed.stats().kv_blocks_free, windowed.stats().kv_blocks_total);
}

TEST_F(EngineWindowTest, AFollowUpReusesALongPrefixAndContinuesAsAFreshRunDoes) {
    // A conversation's next turn: the first exchange (far longer than the
    // window) and more text as the prompt. Its full blocks are cached, and
    // the window blocks of its end, which is all the local layers read.
    InferenceEngine windowed(*model_, options(true));
    auto first = run(windowed, prompt(150, 2), 40);
    std::vector<TokenId> follow_up = prompt(150, 2);
    follow_up.insert(follow_up.end(), first->tokens.begin(), first->tokens.end());
    const std::vector<TokenId> more = prompt(12, 3);
    follow_up.insert(follow_up.end(), more.begin() + 1, more.end());
    auto reused = run(windowed, follow_up, 30);
    // 189 positions were computed: 11 full blocks.
    EXPECT_EQ(reused->usage.cached_tokens, 176);

    // A fresh engine computes every position of the follow-up.
    InferenceEngine fresh_engine(*model_, options(true));
    auto fresh = run(fresh_engine, follow_up, 30);
    EXPECT_EQ(fresh->usage.cached_tokens, 0);
    EXPECT_EQ(reused->tokens, fresh->tokens);

    // The same history without a window pool reuses the same prefix and
    // gets the same logits to the last bit.
    InferenceEngine every_position(*model_, options(false));
    run(every_position, prompt(150, 2), 40);
    auto reused_every_position = run(every_position, follow_up, 30);
    EXPECT_EQ(reused_every_position->usage.cached_tokens, 176);
    EXPECT_EQ(reused->logits, reused_every_position->logits);
}

TEST_F(EngineWindowTest, AFollowUpWhoseWindowBlocksWereEvictedIsComputedAfresh) {
    InferenceEngine windowed(*model_, options(true));
    auto first = run(windowed, prompt(150, 4), 40);
    // Another long request in between takes every window block again.
    run(windowed, prompt(200, 5), 20);
    std::vector<TokenId> follow_up = prompt(150, 4);
    follow_up.insert(follow_up.end(), first->tokens.begin(), first->tokens.end());
    auto again = run(windowed, follow_up, 20);
    EXPECT_EQ(again->usage.cached_tokens, 0) << "the full-context blocks are cached, but not the window's";

    InferenceEngine fresh_engine(*model_, options(true));
    auto fresh = run(fresh_engine, follow_up, 20);
    EXPECT_EQ(again->tokens, fresh->tokens);
    EXPECT_EQ(again->logits, fresh->logits);
}

}  // namespace
}  // namespace clawbot
