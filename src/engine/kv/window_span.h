#pragma once
// Sliding-window arithmetic shared by the window pool, the KV budget and
// the forward pass: which positions a step still reads, and how many
// blocks one sequence can need at once.
#include <algorithm>

namespace clawbot {

// The oldest position a sliding-window layer reads when it computes `pos`:
// it sees `window` positions, itself included.
inline int window_start(int pos, int window) { return std::max(0, pos - window + 1); }

// Most window blocks one sequence holds at once. A step computes up to
// max_step_tokens positions p..p+T-1 and reads back to p-window+1: a run of
// L = window+T-1 positions, which touches at most ceil((L-1)/block_size)+1
// blocks wherever it starts.
inline int window_blocks_at_once(int window, int block_size, int max_step_tokens) {
    const int reach = window + std::max(max_step_tokens, 1) - 2;  // L - 1
    return (reach + block_size - 1) / block_size + 1;
}

// ... for a sequence of n_tokens positions, which may need fewer.
inline int window_blocks_per_sequence(int window, int block_size, int max_step_tokens, int n_tokens) {
    return std::min((n_tokens + block_size - 1) / block_size, window_blocks_at_once(window, block_size, max_step_tokens));
}

}  // namespace clawbot
