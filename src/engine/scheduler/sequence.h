#pragma once
// One request while the engine holds it: its tokens, how many of them have
// KV in the cache, its blocks, detokenizer and (while it runs) the sampler
// of its batch slot.
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/kv/kv_manager.h"
#include "engine/sample/sampler.h"
#include "engine/scheduler/request.h"
#include "engine/tokenizer/tokenizer.h"

namespace clawbot {

struct Sequence {
    uint64_t id = 0;
    GenerationRequest request;
    std::shared_ptr<RequestControl> control;
    std::chrono::steady_clock::time_point enqueued_at;
    std::chrono::steady_clock::time_point admitted_at;    // zero while waiting
    std::chrono::steady_clock::time_point last_token_at;  // for inter-token gaps

    std::vector<TokenId> tokens;  // prompt, then generated tokens
    int n_prompt = 0;
    int n_computed = 0;           // leading tokens whose K/V are in the cache
    int n_generated = 0;
    SequenceKv kv;                // its KV blocks
    Sampler* sampler = nullptr;  // its batch slot's, while running
    std::unique_ptr<IncrementalDetokenizer> detokenizer;
    std::unique_ptr<GrammarMatcher> grammar;  // for a constrained request
    std::vector<double> embedding_sum;        // for an embedding request: its hidden states summed
    Usage usage;

    bool prefilling() const { return n_computed < n_prompt; }
    // Tokens whose K/V must be computed before the next token can be sampled.
    int pending() const { return static_cast<int>(tokens.size()) - n_computed; }
};

}  // namespace clawbot
