// Scheduler::admit and Scheduler::plan on hand-built sequences: who enters
// the batch, and what one step computes.
#include "engine/scheduler/scheduler.h"

#include <numeric>

#include <gtest/gtest.h>

namespace clawbot {
namespace {

std::unique_ptr<Sequence> sequence(int n_prompt, int max_tokens, int first_token = 1) {
    auto seq = std::make_unique<Sequence>();
    seq->tokens.resize(static_cast<size_t>(n_prompt));
    std::iota(seq->tokens.begin(), seq->tokens.end(), first_token);
    seq->n_prompt = n_prompt;
    seq->request.max_tokens = max_tokens;
    return seq;
}

// A sequence done with its prompt, about to decode.
std::unique_ptr<Sequence> decoding(int n_prompt) {
    auto seq = sequence(n_prompt, 8);
    seq->tokens.push_back(99);  // its last sampled token, not yet computed
    seq->n_computed = n_prompt;
    return seq;
}

TEST(SchedulerPlan, DecodesEveryRunningSequenceFirstThenSlicesPromptsOldestFirst) {
    Scheduler scheduler(SchedulerLimits{.max_running = 8, .step_token_budget = 10});
    auto a = decoding(5), b = sequence(6, 4), c = decoding(3), d = sequence(20, 4);
    const std::vector<Sequence*> running = {a.get(), b.get(), c.get(), d.get()};
    const StepPlan plan = scheduler.plan(running);
    ASSERT_EQ(plan.entries.size(), 4u);
    // Decodes: one token each, at the position after what is computed, sampled.
    EXPECT_EQ(plan.entries[0].seq, a.get());
    EXPECT_EQ(plan.entries[0].first, 5);
    EXPECT_EQ(plan.entries[0].count, 1);
    EXPECT_TRUE(plan.entries[0].sample);
    EXPECT_EQ(plan.entries[1].seq, c.get());
    // Prompts: b whole (6 tokens, sampled at its end), d gets the 2 left.
    EXPECT_EQ(plan.entries[2].seq, b.get());
    EXPECT_EQ(plan.entries[2].count, 6);
    EXPECT_TRUE(plan.entries[2].sample);
    EXPECT_EQ(plan.entries[3].seq, d.get());
    EXPECT_EQ(plan.entries[3].first, 0);
    EXPECT_EQ(plan.entries[3].count, 2);
    EXPECT_FALSE(plan.entries[3].sample) << "a slice that does not end the prompt has nothing to sample";
    EXPECT_EQ(plan.n_tokens, 10);
}

TEST(SchedulerPlan, APromptContinuesWhereItsLastSliceEnded) {
    Scheduler scheduler(SchedulerLimits{.max_running = 8, .step_token_budget = 8});
    auto seq = sequence(20, 4);
    seq->n_computed = 16;
    const StepPlan plan = scheduler.plan({seq.get()});
    ASSERT_EQ(plan.entries.size(), 1u);
    EXPECT_EQ(plan.entries[0].first, 16);
    EXPECT_EQ(plan.entries[0].count, 4);
    EXPECT_TRUE(plan.entries[0].sample);
}

TEST(SchedulerPlan, DecodesAreNeverCutForAPrompt) {
    // More decoding sequences than the budget: every one still decodes (the
    // engine sizes the budget above max_running), and no prompt gets a slice.
    Scheduler scheduler(SchedulerLimits{.max_running = 8, .step_token_budget = 2});
    auto a = decoding(4), b = decoding(4), c = decoding(4), p = sequence(5, 2);
    const StepPlan plan = scheduler.plan({a.get(), b.get(), p.get(), c.get()});
    ASSERT_EQ(plan.entries.size(), 3u);
    for (const StepEntry& e : plan.entries) EXPECT_NE(e.seq, p.get());
    EXPECT_EQ(plan.n_tokens, 3);
}

TEST(SchedulerAdmit, FillsTheBatchOldestFirstAndReusesCachedPrefixes) {
    Scheduler scheduler(SchedulerLimits{.max_running = 2, .step_token_budget = 64});
    KvManager kv(64, 4);
    // A finished request left the blocks of tokens 1..8 cached.
    {
        const std::vector<int32_t> earlier = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        auto r = kv.reserve(earlier, 12);
        ASSERT_TRUE(r);
        kv.publish(earlier, 9, r->kv);
        kv.release(r->kv);
    }
    auto first = sequence(10, 4), second = sequence(6, 4, 100), third = sequence(6, 4, 200);
    std::deque<Sequence*> waiting = {first.get(), second.get(), third.get()};
    std::vector<Sequence*> running;
    scheduler.admit(waiting, running, kv);
    ASSERT_EQ(running.size(), 2u) << "max_running";
    EXPECT_EQ(running[0], first.get());
    EXPECT_EQ(running[1], second.get());
    ASSERT_EQ(waiting.size(), 1u);
    EXPECT_EQ(waiting.front(), third.get());
    EXPECT_EQ(first->n_computed, 8) << "the cached blocks count as computed";
    EXPECT_EQ(first->usage.cached_tokens, 8);
    EXPECT_EQ(second->n_computed, 0);
    EXPECT_EQ(first->kv.table.blocks.size(), 4u) << "blocks for prompt + max_tokens";
}

TEST(SchedulerAdmit, ARequestThatDoesNotFitWaitsAndNothingBehindItJumpsTheQueue) {
    Scheduler scheduler(SchedulerLimits{.max_running = 8, .step_token_budget = 64});
    KvManager kv(4, 4);  // 16 tokens of KV
    auto big = sequence(10, 10), small = sequence(2, 2);
    std::deque<Sequence*> waiting = {big.get(), small.get()};
    std::vector<Sequence*> running;
    scheduler.admit(waiting, running, kv);
    EXPECT_TRUE(running.empty());
    EXPECT_EQ(waiting.size(), 2u);
    EXPECT_EQ(kv.free_blocks(), 4) << "a failed reservation holds nothing";
}

}  // namespace
}  // namespace clawbot
