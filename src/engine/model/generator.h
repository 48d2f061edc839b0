#pragma once
// One sequence over its own small paged KV cache: feed tokens, get the
// logits of the last one. Used by `clawbot generate`, `bench` and the
// conformance tests; the server's scheduler drives ForwardPass directly.
#include <memory>
#include <span>
#include <vector>

#include "engine/common/result.h"
#include "engine/kv/block_pool.h"
#include "engine/kv/kv_storage.h"
#include "engine/model/forward.h"
#include "engine/model/model.h"
#include "engine/sample/sampler.h"
#include "engine/tensor/thread_pool.h"

namespace clawbot {

class Generator {
public:
    static constexpr int kBlockSize = 16;

    // KV space for context_size positions; prompts are fed in slices of at
    // most max_batch_tokens.
    Generator(const Model& model, ThreadPool& pool, int context_size, int max_batch_tokens = 256);

    // Appends tokens to the sequence and returns the logits after the last
    // one (valid until the next call). Errors when the context is full.
    Result<std::span<float>> feed(std::span<const TokenId> tokens);
    // Forgets the sequence (its blocks return to the pool).
    void reset();

    int n_past() const { return n_past_; }
    int context_size() const { return context_size_; }

private:
    const Model& model_;
    int context_size_;
    int max_batch_tokens_;
    BlockPool blocks_;
    KvStorage kv_;
    ForwardPass forward_;
    BlockTable table_;
    Batch batch_;
    std::vector<float> logits_;
    int n_past_ = 0;
};

struct GenerateResult {
    std::vector<TokenId> tokens;
    std::string text;
    bool stopped_at_eog = false;
};

// Greedy or sampled continuation of `prompt`, stopping at end-of-generation
// or after max_tokens. on_text (optional) receives text as it completes.
Result<GenerateResult> generate(Generator& gen, const Model& model, std::span<const TokenId> prompt, int max_tokens,
                                const SamplerParams& params, void (*on_text)(const std::string&, void*) = nullptr,
                                void* user = nullptr);

}  // namespace clawbot
