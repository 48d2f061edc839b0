#pragma once
// `clawbot bench --batch 1,4,16,32`: the figures the reference's batched
// bench prints, so they compare. For each batch size B, B requests with
// their own random prompts go through the engine that serves users at once:
// prefilled together (in one step up to 4096 prompt tokens), then decoded
// together, one token per sequence per step, greedy.
#include <vector>

#include "engine/model/model.h"
#include "engine/tensor/thread_pool.h"

namespace clawbot::cli {

struct BatchFigures {
    int batch = 0;
    double prefill_tok_s = 0;  // prompt tokens of all sequences per second
    double decode_tok_s = 0;   // generated tokens of all sequences per second
    // The first sequence (the same prompt at every size) decoded to the same
    // greedy tokens as it does alone. Batched kernels sum in another order
    // than one row's, so on random-weight models, whose logits are nearly
    // tied, the tokens may part after a few dozen steps; on a trained model
    // over a short run a difference means batching broke something.
    bool same_tokens_as_alone = false;
};

// Median over `repetitions` runs (after one untimed warm-up) for each size.
Result<std::vector<BatchFigures>> bench_batches(const Model& model, int threads, const std::vector<int>& batches,
                                                int prompt_tokens, int gen_tokens, int repetitions);

// What one ThreadPool::run with an empty job costs, in microseconds: the
// wake-up and barrier every matmul pays (median of several thousand).
double thread_pool_barrier_us(ThreadPool& pool);

// "1,4,16,32" -> {1, 4, 16, 32}; an error for anything but positive numbers.
Result<std::vector<int>> parse_batch_sizes(const std::string& text);

}  // namespace clawbot::cli
