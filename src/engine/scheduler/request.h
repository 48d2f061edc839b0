#pragma once
// What a caller hands the inference engine, and how tokens come back: by
// push, through a TokenSink called on the engine thread between steps.
#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sample/grammar.h"
#include "engine/sample/sampler.h"
#include "engine/sample/token_trie.h"
#include "engine/tokenizer/tokenizer.h"

namespace clawbot {

struct Usage {
    int prompt_tokens = 0;
    int completion_tokens = 0;
    int cached_tokens = 0;  // prompt tokens whose KV was reused, not recomputed
};

enum class FinishReason { Stop, Length, Cancelled, Error };
const char* finish_reason_name(FinishReason r);

// Receives one request's output. Called on the engine thread, so it must
// not block: implementations hand the event to their own executor.
class TokenSink {
public:
    virtual ~TokenSink() = default;
    // Text completed by this token; empty while a UTF-8 character is incomplete.
    virtual void on_token(TokenId token, std::string_view text) = 0;
    // Exactly once, last. `error` is set for FinishReason::Error.
    virtual void on_finish(FinishReason reason, const Usage& usage, std::string_view error) = 0;
    // Every few seconds while the request waits for a batch slot: its place
    // in the queue (1 = next). Lets a streaming client show progress and
    // keeps proxies from timing the connection out.
    virtual void on_queued(int /*position*/) {}
    // Only for a request with want_logits: the logits each token is about
    // to be sampled from (valid during the call).
    virtual void on_logits(std::span<const float> /*logits*/) {}
    // Only for a request with top_logprobs >= 0, just before on_token: the
    // token's log probability and the most likely alternatives (valid
    // during the call).
    virtual void on_logprobs(TokenProbability /*chosen*/, std::span<const TokenProbability> /*top*/) {}
    // Only for an embedding request, just before on_finish: the prompt's
    // final hidden states (after the output norm), mean-pooled over its
    // tokens and L2-normalised; `dim` floats, valid during the call.
    virtual void on_embedding(std::span<const float> /*embedding*/) {}
};

// Receives the engine's timings for metrics; called on the engine thread,
// so it must be cheap and must not block.
class EngineObserver {
public:
    virtual ~EngineObserver() = default;
    virtual void on_step(int batch_tokens, int sequences) = 0;
    virtual void on_admitted(double queue_wait_s) = 0;
    // Time between two tokens of one sequence.
    virtual void on_token_gap(double seconds) = 0;
};

// Shared between the caller and the engine: the caller may cancel at any
// time (client gone, stop string seen); the engine drops the request and
// frees its blocks at the next step.
class RequestControl {
public:
    void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
    bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

private:
    std::atomic<bool> cancelled_{false};
};

struct GenerationRequest {
    std::vector<TokenId> prompt;
    SamplerParams sampling;
    int max_tokens = 256;
    std::shared_ptr<TokenSink> sink;
    // Optional: a control the caller made first, so its sink can cancel
    // even before submit() returns. The engine makes one when null.
    std::shared_ptr<RequestControl> control;
    bool want_logits = false;  // TokenSink::on_logits before every token (`generate --logits`)
    bool stop_at_eog = true;   // false: end-of-generation tokens are emitted like any other (benchmarks)
    int top_logprobs = -1;     // 0..Sampler::kMaxTopLogprobs: TokenSink::on_logprobs with that many alternatives
    // Constrained decoding: every token is one the grammar allows, and the
    // reply ends (end of generation) only where the grammar can end. The
    // vocabulary's trie is built once per model and shared; both or neither.
    std::shared_ptr<const Grammar> grammar;
    std::shared_ptr<const TokenTrie> grammar_vocab;
    // An embedding instead of a reply: the whole prompt is computed (no
    // cached prefix is reused, its hidden states are needed), nothing is
    // generated, and TokenSink::on_embedding gets the pooled vector.
    bool embed = false;
    // Control tokens the reply holds (<|python_tag|>, [TOOL_CALLS], ...) reach
    // the sink as their text, for a caller that parses the reply's markers;
    // end-of-generation tokens still end it. Pair with a grammar_vocab built
    // with_control_text, so that a grammar can write them.
    bool render_control_tokens = false;
};

}  // namespace clawbot
