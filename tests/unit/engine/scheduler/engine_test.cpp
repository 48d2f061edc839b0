// The continuous-batching engine on the real stories260K model.
#include "engine/scheduler/engine.h"
#include "engine/scheduler/run_to_end.h"
#include "engine/model/forward.h"

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <stdexcept>
#include <future>
#include <mutex>

#include <gtest/gtest.h>

#include "support/collecting_sink.h"
#include "support/test_support.h"

namespace clawbot {
namespace {

using test::CollectingSink;

// Blocks the engine thread at its first token until `opened` is ready: a
// test's way to hold the engine still while it submits more requests.
class GatedSink : public CollectingSink {
public:
    explicit GatedSink(std::shared_future<void> opened) : opened_(std::move(opened)) {}
    void on_token(TokenId token, std::string_view text) override {
        opened_.wait();
        CollectingSink::on_token(token, text);
    }

private:
    std::shared_future<void> opened_;
};

class EngineTest : public testing::Test {
protected:
    void SetUp() override {
        auto model = Model::load(test::shared_path("models/stories260K.gguf"));
        ASSERT_TRUE(model.ok()) << model.error().message;
        model_ = std::move(*model);
    }

    GenerationRequest greedy(std::vector<TokenId> prompt, int max_tokens, std::shared_ptr<TokenSink> sink) {
        GenerationRequest r;
        r.prompt = std::move(prompt);
        r.sampling.temperature = 0.0f;
        r.max_tokens = max_tokens;
        r.sink = std::move(sink);
        return r;
    }

    std::unique_ptr<Model> model_;
};

std::shared_ptr<RequestControl> submitted(Result<std::shared_ptr<RequestControl>, SubmitFailure> v) {
    if (!v) {
        ADD_FAILURE() << v.error().message;
        return nullptr;
    }
    return *v;
}

TEST_F(EngineTest, SingleRequestMatchesReferenceGreedy) {
    const auto ref = test::read_json(test::shared_path("reference/logits/stories260K.once.json"));
    InferenceEngine engine(*model_, EngineOptions{.threads = 2, .context_size = 256});
    auto sink = std::make_shared<CollectingSink>();
    const auto expected = ref["greedy"].get<std::vector<TokenId>>();
    submitted(engine.submit(greedy(ref["prompt"].get<std::vector<TokenId>>(), static_cast<int>(expected.size()), sink)));
    ASSERT_TRUE(sink->wait());
    EXPECT_EQ(sink->tokens, expected);
    EXPECT_EQ(sink->text, ref["greedy_text"].get<std::string>());
    EXPECT_EQ(sink->reason, FinishReason::Length);
    EXPECT_EQ(sink->usage.prompt_tokens, 5);
    EXPECT_EQ(sink->usage.completion_tokens, static_cast<int>(expected.size()));
}

TEST_F(EngineTest, AGrammarConstrainsEveryTokenAndEndsTheReplyWhereItEnds) {
    auto grammar = Grammar::parse(R"(root ::= "The answer is " ("yes" | "no" | "maybe") "." )");
    ASSERT_TRUE(grammar.ok()) << grammar.error().message;
    const auto shared_grammar = std::make_shared<const Grammar>(std::move(grammar).value());
    const auto vocab = std::make_shared<const TokenTrie>(TokenTrie::from_tokenizer(model_->tokenizer()));
    InferenceEngine engine(*model_, EngineOptions{.threads = 2, .context_size = 256});
    const std::vector<TokenId> prompt = model_->tokenizer().encode("Once upon a time", true, false);
    // Sampled, several seeds, batched with an unconstrained request.
    for (uint64_t seed : {1u, 2u, 3u, 4u}) {
        GenerationRequest constrained = greedy(prompt, 40, std::make_shared<CollectingSink>());
        constrained.sampling.temperature = 1.0f;
        constrained.sampling.seed = seed;
        constrained.grammar = shared_grammar;
        constrained.grammar_vocab = vocab;
        auto sink = std::static_pointer_cast<CollectingSink>(constrained.sink);
        auto free_sink = std::make_shared<CollectingSink>();
        auto results = engine.submit_all({std::move(constrained), greedy(prompt, 12, free_sink)});
        for (auto& r : results) submitted(std::move(r));
        ASSERT_TRUE(sink->wait() && free_sink->wait());
        EXPECT_TRUE(sink->text == "The answer is yes." || sink->text == "The answer is no." || sink->text == "The answer is maybe.")
            << "seed " << seed << ": " << sink->text;
        EXPECT_EQ(sink->reason, FinishReason::Stop) << "the grammar could not go on: only the end was allowed";
        EXPECT_FALSE(free_sink->text.empty());
    }
    // Too few tokens to finish: the length is reported, not a broken grammar.
    GenerationRequest short_one = greedy(prompt, 2, std::make_shared<CollectingSink>());
    short_one.grammar = shared_grammar;
    short_one.grammar_vocab = vocab;
    auto short_sink = std::static_pointer_cast<CollectingSink>(short_one.sink);
    submitted(engine.submit(std::move(short_one)));
    ASSERT_TRUE(short_sink->wait());
    EXPECT_EQ(short_sink->reason, FinishReason::Length);
    EXPECT_EQ(std::string("The answer is ").rfind(short_sink->text, 0), 0u) << short_sink->text;
    // A grammar without its vocabulary is refused.
    GenerationRequest half = greedy(prompt, 2, std::make_shared<CollectingSink>());
    half.grammar = shared_grammar;
    EXPECT_FALSE(engine.submit(std::move(half)).ok());
}

// Collects an embedding request's vector.
class EmbeddingSink : public CollectingSink {
public:
    void on_embedding(std::span<const float> v) override { embedding.assign(v.begin(), v.end()); }
    std::vector<float> embedding;
};

TEST_F(EngineTest, AnEmbeddingIsTheUnitLengthMeanOfThePromptsHiddenStatesWhateverRunsBesideIt) {
    InferenceEngine engine(*model_, EngineOptions{.threads = 2, .context_size = 256});
    const Tokenizer& tok = model_->tokenizer();
    auto embed = [&](const std::string& text) {
        GenerationRequest r = greedy(tok.encode(text, true, false), 1, std::make_shared<EmbeddingSink>());
        r.embed = true;
        return r;
    };
    const std::string text = "Once upon a time there was a little girl who loved the park.";
    GenerationRequest alone_request = embed(text);
    auto alone = std::static_pointer_cast<EmbeddingSink>(alone_request.sink);
    submitted(engine.submit(std::move(alone_request)));
    ASSERT_TRUE(alone->wait());
    ASSERT_EQ(alone->reason, FinishReason::Stop) << alone->error;
    ASSERT_EQ(alone->embedding.size(), static_cast<size_t>(model_->config().dim));
    double norm = 0;
    for (float x : alone->embedding) norm += static_cast<double>(x) * x;
    EXPECT_NEAR(norm, 1.0, 1e-5);
    EXPECT_TRUE(alone->tokens.empty()) << "an embedding generates nothing";
    EXPECT_EQ(alone->usage.completion_tokens, 0);
    EXPECT_EQ(alone->usage.prompt_tokens, static_cast<int>(tok.encode(text, true, false).size()));

    // The same vector with a chat request and another embedding in the same
    // steps, and after a chat request cached this prompt's blocks.
    GenerationRequest chat = greedy(tok.encode(text, true, false), 8, std::make_shared<CollectingSink>());
    auto chat_sink = std::static_pointer_cast<CollectingSink>(chat.sink);
    GenerationRequest again_request = embed(text), other_request = embed("The cat sat on the mat.");
    auto again = std::static_pointer_cast<EmbeddingSink>(again_request.sink);
    auto other = std::static_pointer_cast<EmbeddingSink>(other_request.sink);
    std::vector<GenerationRequest> batch;
    batch.push_back(std::move(chat));
    batch.push_back(std::move(again_request));
    batch.push_back(std::move(other_request));
    for (auto& r : engine.submit_all(std::move(batch))) submitted(std::move(r));
    ASSERT_TRUE(chat_sink->wait() && again->wait() && other->wait());
    ASSERT_EQ(again->embedding.size(), alone->embedding.size());
    double same = 0, different = 0;
    for (size_t d = 0; d < alone->embedding.size(); ++d) {
        EXPECT_NEAR(again->embedding[d], alone->embedding[d], 1e-4) << d;
        same += static_cast<double>(again->embedding[d]) * alone->embedding[d];
        different += static_cast<double>(other->embedding[d]) * alone->embedding[d];
    }
    EXPECT_GT(same, 0.9999);
    EXPECT_LT(different, same) << "another text embeds elsewhere";
    EXPECT_EQ(again->usage.cached_tokens, 0) << "an embedding reused cached blocks, whose hidden states it never saw";

    // By hand: the prompt's hidden states through one forward pass, pooled.
    const std::vector<TokenId> ids = tok.encode(text, true, false);
    KvStorage kv(KvLayout{model_->config().n_layers, model_->config().kv_dim(), 16, 16});
    ThreadPool pool(2);
    ForwardPass fwd(*model_, kv, pool, 64, 256);
    Batch b;
    BlockTable table;
    for (int i = 0; i < 16; ++i) table.blocks.push_back(i);
    b.tables.push_back(&table);
    for (size_t p = 0; p < ids.size(); ++p) b.tokens.push_back({ids[p], static_cast<int32_t>(p), 0, false, true});
    const size_t dim = static_cast<size_t>(model_->config().dim);
    std::vector<float> hidden(ids.size() * dim), no_logits;
    ASSERT_TRUE(fwd.forward(b, no_logits, hidden).ok());
    std::vector<double> mean(dim, 0.0);
    for (size_t p = 0; p < ids.size(); ++p) {
        for (size_t d = 0; d < dim; ++d) mean[d] += hidden[p * dim + d] / static_cast<double>(ids.size());
    }
    double length = 0;
    for (double x : mean) length += x * x;
    length = std::sqrt(length);
    for (size_t d = 0; d < dim; ++d) EXPECT_NEAR(alone->embedding[d], mean[d] / length, 1e-4) << d;
}

TEST_F(EngineTest, ConcurrentRequestsEachGetTheirOwnContinuation) {
    // Greedy output of a request must not depend on who shares its batch.
    const auto once = test::read_json(test::shared_path("reference/logits/stories260K.once.json"));
    const auto park = test::read_json(test::shared_path("reference/logits/stories260K.park.json"));
    InferenceEngine engine(*model_, EngineOptions{.threads = 2, .context_size = 256, .max_batch_size = 4, .step_token_budget = 24});
    std::vector<std::shared_ptr<CollectingSink>> sinks;
    for (int i = 0; i < 6; ++i) {
        const auto& ref = i % 2 ? park : once;
        sinks.push_back(std::make_shared<CollectingSink>());
        submitted(engine.submit(greedy(ref["prompt"].get<std::vector<TokenId>>(), 64, sinks.back())));
    }
    for (int i = 0; i < 6; ++i) {
        ASSERT_TRUE(sinks[i]->wait());
        const auto& ref = i % 2 ? park : once;
        EXPECT_EQ(sinks[i]->tokens, ref["greedy"].get<std::vector<TokenId>>()) << i;
    }
    EXPECT_EQ(engine.stats().kv_blocks_free, engine.stats().kv_blocks_total);
}

TEST_F(EngineTest, SampledRequestsGetTheSameTokensThroughSharedSlotSamplersAsAlone) {
    // Six sampled requests (penalties on) through two batch slots: each slot's
    // sampler serves one request after another and must start each afresh.
    auto sampled = [&](uint64_t seed) {
        GenerationRequest r;
        r.prompt = test::read_json(test::shared_path("reference/logits/stories260K.once.json"))["prompt"].get<std::vector<TokenId>>();
        r.max_tokens = 40;
        r.sampling.temperature = 0.9f;
        r.sampling.repeat_penalty = 1.3f;
        r.sampling.seed = seed;
        return r;
    };
    std::vector<std::vector<TokenId>> alone;
    {
        InferenceEngine engine(*model_, EngineOptions{.threads = 1, .context_size = 256, .max_batch_size = 1});
        for (uint64_t seed = 1; seed <= 6; ++seed) {
            auto run = run_to_end(engine, sampled(seed));
            ASSERT_TRUE(run.ok()) << run.error().message;
            alone.push_back(run->tokens);
        }
    }
    InferenceEngine engine(*model_, EngineOptions{.threads = 1, .context_size = 256, .max_batch_size = 2});
    std::vector<std::shared_ptr<CollectingSink>> sinks;
    for (uint64_t seed = 1; seed <= 6; ++seed) {
        GenerationRequest r = sampled(seed);
        sinks.push_back(std::make_shared<CollectingSink>());
        r.sink = sinks.back();
        submitted(engine.submit(std::move(r)));
    }
    for (size_t i = 0; i < sinks.size(); ++i) {
        ASSERT_TRUE(sinks[i]->wait());
        EXPECT_EQ(sinks[i]->tokens, alone[i]) << "seed " << i + 1;
    }
    EXPECT_NE(alone[0], alone[1]) << "the seeds should give different continuations";
}

TEST_F(EngineTest, RunToEndGivesTheFirstLogitsAndCanIgnoreEndOfGeneration) {
    const auto ref = test::read_json(test::shared_path("reference/logits/stories260K.once.json"));
    InferenceEngine engine(*model_, EngineOptions{.threads = 1, .context_size = 256, .max_batch_size = 1});
    GenerationRequest r = greedy(ref["prompt"].get<std::vector<TokenId>>(), 200, nullptr);
    r.want_logits = true;
    auto stopped = run_to_end(engine, r);
    ASSERT_TRUE(stopped.ok()) << stopped.error().message;
    ASSERT_EQ(stopped->first_logits.size(), static_cast<size_t>(model_->config().n_vocab));
    const auto best = std::max_element(stopped->first_logits.begin(), stopped->first_logits.end());
    EXPECT_EQ(static_cast<TokenId>(best - stopped->first_logits.begin()), stopped->tokens.front());
    EXPECT_EQ(stopped->token_times_s.size(), stopped->tokens.size());
    EXPECT_TRUE(std::is_sorted(stopped->token_times_s.begin(), stopped->token_times_s.end()));
    EXPECT_EQ(stopped->finish, FinishReason::Length);

    // A sampled run that meets an end-of-generation token: told to ignore
    // it, the run goes on through it to max_tokens; by default it stops there.
    const Tokenizer& tok = model_->tokenizer();
    r.want_logits = false;
    r.sampling.temperature = 5.0f;  // close to uniform over the 512 tokens: an end comes soon
    r.sampling.top_k = 0;
    r.sampling.top_p = 1.0f;
    r.sampling.min_p = 0.0f;
    r.stop_at_eog = false;
    std::optional<CompletedRun> through;
    size_t eog_at = 0;
    for (uint64_t seed = 1; seed <= 40 && !through; ++seed) {
        r.sampling.seed = seed;
        auto run = run_to_end(engine, r);
        ASSERT_TRUE(run.ok()) << run.error().message;
        auto eog = std::find_if(run->tokens.begin(), run->tokens.end(), [&](TokenId t) { return tok.is_eog(t); });
        if (eog == run->tokens.end()) continue;
        eog_at = static_cast<size_t>(eog - run->tokens.begin());
        through = std::move(*run);
    }
    ASSERT_TRUE(through) << "no seed reached an end-of-generation token";
    EXPECT_EQ(through->tokens.size(), 200u);
    EXPECT_EQ(through->finish, FinishReason::Length);
    r.stop_at_eog = true;
    auto stopped_there = run_to_end(engine, r);
    ASSERT_TRUE(stopped_there.ok());
    EXPECT_EQ(stopped_there->finish, FinishReason::Stop);
    EXPECT_EQ(stopped_there->tokens, std::vector<TokenId>(through->tokens.begin(), through->tokens.begin() + static_cast<long>(eog_at)));
}

// Throws from the first step's report, as a failing kernel on a pool
// worker would from forward(): the exception reaches the engine thread.
class ThrowingObserver final : public EngineObserver {
public:
    void on_step(int, int) override {
        if (steps_.fetch_add(1) == 0) throw std::runtime_error("injected failure");
    }
    void on_admitted(double) override {}
    void on_token_gap(double) override {}

private:
    std::atomic<int> steps_{0};
};

TEST_F(EngineTest, AStepThatThrowsFailsItsRequestsAndTheEngineGoesOn) {
    ThrowingObserver observer;
    InferenceEngine engine(*model_, EngineOptions{.threads = 2, .context_size = 256, .max_batch_size = 2, .observer = &observer});
    auto failed = std::make_shared<CollectingSink>();
    submitted(engine.submit(greedy({1, 403, 407}, 10, failed)));
    ASSERT_TRUE(failed->wait());
    EXPECT_EQ(failed->reason, FinishReason::Error);
    EXPECT_NE(failed->error.find("injected failure"), std::string::npos) << failed->error;
    EXPECT_EQ(engine.stats().kv_blocks_free, engine.stats().kv_blocks_total) << "the failed request's blocks are free";
    auto next = std::make_shared<CollectingSink>();
    submitted(engine.submit(greedy({1, 403, 407}, 10, next)));
    ASSERT_TRUE(next->wait());
    EXPECT_EQ(next->reason, FinishReason::Length);
    EXPECT_EQ(next->tokens.size(), 10u);
}

TEST_F(EngineTest, SubmitAllStartsTheRequestsInOneStepAndRefusesOnlyTheBadOnes) {
    InferenceEngine engine(*model_, EngineOptions{.threads = 1, .context_size = 256, .max_batch_size = 4});
    std::vector<std::shared_ptr<CollectingSink>> sinks;
    std::vector<GenerationRequest> requests;
    for (int i = 0; i < 3; ++i) {
        sinks.push_back(std::make_shared<CollectingSink>(&engine));
        requests.push_back(greedy({1, 403, 407, static_cast<TokenId>(300 + i)}, 6, sinks.back()));
    }
    requests.push_back(greedy({}, 6, std::make_shared<CollectingSink>()));  // an empty prompt
    auto results = engine.submit_all(std::move(requests));
    ASSERT_EQ(results.size(), 4u);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(results[static_cast<size_t>(i)].ok());
    ASSERT_FALSE(results[3].ok());
    EXPECT_EQ(results[3].error().code, SubmitError::InvalidRequest);
    for (auto& sink : sinks) ASSERT_TRUE(sink->wait());
    // The same step produced every first token: they were admitted together.
    ASSERT_FALSE(sinks[0]->steps.empty());
    for (auto& sink : sinks) {
        ASSERT_EQ(sink->tokens.size(), 6u);
        EXPECT_EQ(sink->steps.front(), sinks[0]->steps.front());
    }
}

TEST_F(EngineTest, LongPromptDoesNotStallStreamingRequests) {
    // With a step budget of 20 tokens, a 300-token prompt takes many steps
    // to prefill; the stream already running must get a token every step.
    InferenceEngine engine(*model_, EngineOptions{.threads = 2, .context_size = 512, .max_batch_size = 4, .step_token_budget = 20});
    auto streaming = std::make_shared<CollectingSink>(&engine);
    submitted(engine.submit(greedy({1, 403, 407, 261, 378}, 120, streaming)));
    while (streaming->token_count() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::vector<TokenId> long_prompt(300);
    for (size_t i = 0; i < long_prompt.size(); ++i) long_prompt[i] = static_cast<TokenId>(3 + i % 500);
    auto late = std::make_shared<CollectingSink>(&engine);
    submitted(engine.submit(greedy(long_prompt, 8, late)));
    ASSERT_TRUE(streaming->wait());
    ASSERT_TRUE(late->wait());
    ASSERT_GE(streaming->steps.size(), 2u);
    for (size_t i = 1; i < streaming->steps.size(); ++i) {
        EXPECT_EQ(streaming->steps[i] - streaming->steps[i - 1], 1u) << "token " << i << " waited more than one step";
    }
    // And the long prompt really was spread over many steps.
    EXPECT_GE(late->steps.front() - streaming->steps.front(), 300u / 20u);
}

TEST_F(EngineTest, AFollowUpReusesTheCachedPrefixAndGetsTheSameAnswer) {
    const auto ref = test::read_json(test::shared_path("reference/logits/stories260K.park.json"));
    const auto prompt = ref["prompt"].get<std::vector<TokenId>>();  // 17 tokens: one full block
    const auto expected = ref["greedy"].get<std::vector<TokenId>>();
    InferenceEngine engine(*model_, EngineOptions{.threads = 2, .context_size = 256});
    auto first = std::make_shared<CollectingSink>();
    submitted(engine.submit(greedy(prompt, 40, first)));
    ASSERT_TRUE(first->wait());
    EXPECT_EQ(first->usage.cached_tokens, 0);

    // The whole first exchange as the next prompt, as a conversation's next
    // turn: every full block of it is already in the cache.
    std::vector<TokenId> follow_up = prompt;
    follow_up.insert(follow_up.end(), first->tokens.begin(), first->tokens.end());
    auto second = std::make_shared<CollectingSink>();
    submitted(engine.submit(greedy(follow_up, 20, second)));
    ASSERT_TRUE(second->wait());
    EXPECT_EQ(second->usage.cached_tokens, static_cast<int>((follow_up.size() - 1) / 16 * 16));
    // Same tokens as the reference's greedy continuation, cache or not.
    const std::vector<TokenId> continued(expected.begin() + 40, expected.begin() + 60);
    EXPECT_EQ(second->tokens, continued);
    EXPECT_GE(engine.stats().prefix_hit_tokens, static_cast<uint64_t>(second->usage.cached_tokens));
}

TEST_F(EngineTest, WaitingRequestsHearTheirQueuePosition) {
    InferenceEngine engine(*model_, EngineOptions{.threads = 1, .context_size = 256, .max_batch_size = 1, .max_queue = 4, .queue_notice_ms = 1});
    auto running = std::make_shared<CollectingSink>();
    auto second = std::make_shared<CollectingSink>();
    auto third = std::make_shared<CollectingSink>();
    submitted(engine.submit(greedy({1, 403, 407}, 200, running)));
    submitted(engine.submit(greedy({1, 403, 407}, 5, second)));
    submitted(engine.submit(greedy({1, 403, 407}, 5, third)));
    ASSERT_TRUE(running->wait());
    ASSERT_TRUE(second->wait());
    ASSERT_TRUE(third->wait());
    EXPECT_TRUE(running->positions.empty());
    ASSERT_FALSE(second->positions.empty());
    ASSERT_FALSE(third->positions.empty());
    EXPECT_EQ(second->positions.front(), 1);
    EXPECT_EQ(third->positions.front(), 2);
    EXPECT_GT(engine.estimated_wait_s(), 0.0);
}

TEST_F(EngineTest, CancelledRequestFinishesAndFreesItsBlocks) {
    InferenceEngine engine(*model_, EngineOptions{.threads = 1, .context_size = 256});
    auto sink = std::make_shared<CollectingSink>();
    auto control = submitted(engine.submit(greedy({1, 403, 407}, 200, sink)));
    ASSERT_TRUE(control);
    control->cancel();
    ASSERT_TRUE(sink->wait());
    EXPECT_EQ(sink->reason, FinishReason::Cancelled);
    EXPECT_LT(sink->tokens.size(), 200u);
    for (int i = 0; i < 100 && engine.stats().kv_blocks_free != engine.stats().kv_blocks_total; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(engine.stats().kv_blocks_free, engine.stats().kv_blocks_total);
}

TEST_F(EngineTest, RefusesWhatCanNeverFitAndWhenTheQueueIsFull) {
    InferenceEngine engine(*model_, EngineOptions{.threads = 1, .context_size = 64, .max_batch_size = 1, .max_queue = 1});
    auto too_long = engine.submit(greedy(std::vector<TokenId>(60, 5), 10, std::make_shared<CollectingSink>()));
    ASSERT_FALSE(too_long.ok());
    EXPECT_EQ(too_long.error().code, SubmitError::ContextLengthExceeded);

    // One running + one waiting fill the engine; the next is refused. The
    // first request holds the engine thread at its first token until all
    // are submitted, so none can finish early and free its place (on a
    // loaded machine the engine thread could otherwise run 50 tokens
    // between two submits).
    std::promise<void> gate;
    std::shared_future<void> opened = gate.get_future().share();
    std::vector<std::shared_ptr<CollectingSink>> sinks;
    int refused = 0;
    for (int i = 0; i < 4; ++i) {
        sinks.push_back(i == 0 ? std::make_shared<GatedSink>(opened) : std::make_shared<CollectingSink>());
        auto r = engine.submit(greedy({1, 403, 407}, 50, sinks.back()));
        if (!r) {
            EXPECT_EQ(r.error().code, SubmitError::QueueFull);
            ++refused;
            sinks.pop_back();
        }
    }
    gate.set_value();
    EXPECT_EQ(refused, 2);
    for (auto& s : sinks) ASSERT_TRUE(s->wait());
}

}  // namespace
}  // namespace clawbot
