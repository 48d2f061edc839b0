#pragma once
// What a model asks of the KV cache: how many of its layers keep every
// position and how many only a sliding window, for the engine's pools and
// for the memory figures of `show`, `doctor` and the serve start check.
#include "engine/kv/kv_budget.h"
#include "engine/model/model_config.h"

namespace clawbot {

// window_pool = false keeps every layer's K/V at every position, as if the
// model had no sliding window (for comparison).
KvShape kv_shape(const ModelConfig& config, int block_size, int max_step_tokens, bool window_pool = true);

}  // namespace clawbot
