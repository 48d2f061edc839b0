#pragma once
// How many tokens the KV cache holds when the operator does not say: room
// for every batch slot at full context, F16 keys and values, capped at
// 1 GiB (a 2-core, 4 GB server must still fit the weights) but never below
// one full context. Layers that keep every position take a token's worth
// per position; sliding-window layers (Gemma 3's local ones) only a
// window's worth of blocks per sequence, in a pool of their own sized for
// as many full-context sequences as the other pool holds. `clawbot doctor`
// reads the same figure to check memory before the service starts.
#include <cstdint>

namespace clawbot {

inline constexpr int kDefaultKvBlockSize = 16;
inline constexpr int kDefaultStepTokens = 256;

// Tokens per engine step: every running sequence decodes one token per
// step, and prompts need room on top. It bounds how far past its window
// one step of a sequence reaches, so the window pool's size depends on it.
inline int step_token_budget_for(int requested, int max_batch_size) {
    return requested > max_batch_size + 16 ? requested : max_batch_size + 16;
}

// What the cache stores per token and per window.
struct KvShape {
    int n_layers = 0;          // every layer
    int n_window_layers = 0;   // of which keep only a sliding window (0: none do)
    int kv_dim = 0;            // n_kv_heads * head_dim
    int window = 0;            // positions a window layer sees
    int block_size = kDefaultKvBlockSize;
    int max_step_tokens = kDefaultStepTokens;
};

struct KvBudget {
    std::int64_t tokens = 0;           // positions of the full-context pool, over all sequences
    std::int64_t bytes_per_token = 0;  // their keys + values, F16, in the layers that keep every position
    std::int64_t window_blocks = 0;    // blocks of the window pool (0: no window layers)
    std::int64_t window_bytes = 0;     // its keys + values, F16
    bool capped = false;               // the 1 GiB cap decided, not batch x context
    std::int64_t bytes() const { return tokens * bytes_per_token + window_bytes; }
};

KvBudget default_kv_budget(const KvShape& shape, int max_batch_size, int context_size);

// Blocks of the window pool beside a full-context pool of
// full_context_tokens: a window's worth for as many full-context sequences
// as that pool holds (at least one, at most max_batch_size); 0 without
// window layers. Shorter sequences need fewer, so more of them fit.
std::int64_t window_pool_blocks(const KvShape& shape, int max_batch_size, int context_size, std::int64_t full_context_tokens);

}  // namespace clawbot
