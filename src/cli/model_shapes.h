#pragma once
// Named shapes for random-weight models used by benchmarks and tests.
#include <optional>
#include <string>

namespace clawbot::cli {

struct ModelShape {
    std::string name;
    int dim, n_layers, n_heads, n_kv_heads, ffn_dim, n_vocab, context_length;
    float rope_base;
    // Mixture of experts (a qwen3moe model; 0 for a dense llama one).
    int n_experts = 0, n_experts_used = 0, expert_ffn_dim = 0;
};

std::optional<ModelShape> find_shape(const std::string& name);
std::string shape_names();

}  // namespace clawbot::cli
