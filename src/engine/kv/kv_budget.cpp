#include "engine/kv/kv_budget.h"

#include <algorithm>

namespace clawbot {

KvBudget default_kv_budget(int n_layers, int kv_dim, int max_batch_size, int context_size) {
    constexpr std::int64_t kCapBytes = std::int64_t{1} << 30;
    KvBudget b;
    b.bytes_per_token = std::int64_t{2} * n_layers * kv_dim * 2;
    const std::int64_t cap = kCapBytes / std::max<std::int64_t>(b.bytes_per_token, 1);
    const std::int64_t want = std::int64_t{std::max(max_batch_size, 1)} * context_size;
    b.capped = cap < want;
    b.tokens = std::max<std::int64_t>(std::min(want, cap), context_size);
    return b;
}

}  // namespace clawbot
