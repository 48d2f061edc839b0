#pragma once
// How many tokens the KV cache holds when the operator does not say: room
// for every batch slot at full context, F16 keys and values in every layer,
// capped at 1 GiB (a 2-core, 4 GB server must still fit the weights) but
// never below one full context. `clawbot doctor` reads the same figure to
// check memory before the service starts.
#include <cstdint>

namespace clawbot {

struct KvBudget {
    std::int64_t tokens = 0;
    std::int64_t bytes_per_token = 0;  // keys + values, F16, all layers
    bool capped = false;               // the 1 GiB cap decided, not batch x context
    std::int64_t bytes() const { return tokens * bytes_per_token; }
};

KvBudget default_kv_budget(int n_layers, int kv_dim, int max_batch_size, int context_size);

}  // namespace clawbot
