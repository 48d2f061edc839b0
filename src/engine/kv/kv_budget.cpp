#include "engine/kv/kv_budget.h"

#include <algorithm>

#include "engine/kv/window_span.h"

namespace clawbot {
namespace {

constexpr std::int64_t kCapBytes = std::int64_t{1} << 30;

bool has_window(const KvShape& s) { return s.window > 0 && s.n_window_layers > 0; }

// Keys and values of one token in one layer, F16.
std::int64_t layer_token_bytes(const KvShape& s) { return std::int64_t{2} * s.kv_dim * 2; }

std::int64_t window_blocks_of_one_sequence(const KvShape& s, int context_size) {
    return has_window(s) ? window_blocks_per_sequence(s.window, s.block_size, s.max_step_tokens, context_size) : 0;
}

}  // namespace

std::int64_t window_pool_blocks(const KvShape& shape, int max_batch_size, int context_size, std::int64_t full_context_tokens) {
    const std::int64_t one = window_blocks_of_one_sequence(shape, context_size);
    const std::int64_t sequences_worth = (full_context_tokens * one + context_size - 1) / std::max(context_size, 1);
    return std::clamp(sequences_worth, one, one * std::max(max_batch_size, 1));
}

KvBudget default_kv_budget(const KvShape& shape, int max_batch_size, int context_size) {
    const int batch = std::max(max_batch_size, 1);
    const int full_layers = has_window(shape) ? shape.n_layers - shape.n_window_layers : shape.n_layers;
    const std::int64_t window_block_bytes =
        has_window(shape) ? std::int64_t{shape.block_size} * shape.n_window_layers * layer_token_bytes(shape) : 0;
    KvBudget b;
    b.bytes_per_token = full_layers * layer_token_bytes(shape);
    // What one sequence at full context takes in both pools; the cap
    // decides how many such sequences' worth there is room for.
    const std::int64_t sequence_bytes =
        std::int64_t{context_size} * b.bytes_per_token + window_blocks_of_one_sequence(shape, context_size) * window_block_bytes;
    b.tokens = std::int64_t{batch} * context_size;
    b.capped = sequence_bytes > 0 && std::int64_t{batch} * sequence_bytes > kCapBytes;
    if (b.capped) b.tokens = std::max<std::int64_t>(kCapBytes * context_size / sequence_bytes, context_size);
    b.window_blocks = has_window(shape) ? window_pool_blocks(shape, batch, context_size, b.tokens) : 0;
    b.window_bytes = b.window_blocks * window_block_bytes;
    return b;
}

}  // namespace clawbot
