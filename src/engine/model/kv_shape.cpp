#include "engine/model/kv_shape.h"

namespace clawbot {

KvShape kv_shape(const ModelConfig& config, int block_size, int max_step_tokens, bool window_pool) {
    KvShape s;
    s.n_layers = config.n_layers;
    s.kv_dim = config.kv_dim();
    s.block_size = block_size;
    s.max_step_tokens = max_step_tokens;
    if (!window_pool) return s;
    for (int l = 0; l < config.n_layers; ++l) s.n_window_layers += config.is_local_layer(l) ? 1 : 0;
    s.window = s.n_window_layers > 0 ? config.sliding_window : 0;
    return s;
}

}  // namespace clawbot
