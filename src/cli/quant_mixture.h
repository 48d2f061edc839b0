#pragma once
// Named quantization mixtures ("q4_k_m"): which tensors of a model get which
// type, following the presets of llama.cpp's quantizer so a file made here
// matches the size and quality of the one users download under that name.
#include <optional>
#include <string>
#include <string_view>

#include "engine/tensor/dtype.h"

namespace clawbot::cli {

enum class MixtureRule {
    MoreBitsInSomeLayers,  // q4_k_m, q5_k_m: output, and attn_v / ffn_down of the layers that need them, in Q6_K
    Q3_K_M,                // q3_k_m: Q4_K / Q5_K for attn_v, ffn_down, attn_output; output in Q6_K
};

// What `clawbot quantize --type` accepts, for its help and its refusal.
constexpr std::string_view kQuantizeTypesHelp =
    "q8_0, q6_k, q5_k, q5_0, q5_1, q4_k, q4_0, q4_1, iq4_xs, iq4_nl, q3_k, q2_k, f16, bf16 or f32; or a mixture "
    "as llama.cpp makes it: q5_k_m, q4_k_m (Q5_K / Q4_K with Q6_K for the output and for attn_v and ffn_down of "
    "some layers) or q3_k_m (Q3_K with Q4_K / Q5_K for attn_v, attn_output and ffn_down)";

struct QuantMixture {
    std::string_view name;  // "q4_k_m"
    DType base;             // most tensors
    MixtureRule rule;
    uint32_t file_type;     // llama.cpp's general.file_type for the mixture
};

std::optional<QuantMixture> find_mixture(std::string_view name);

// "blk.12.ffn_down.weight" -> 12; -1 for tensors outside the layers.
int layer_index(std::string_view tensor_name);

// The type for weight matrix `tensor_name` (e.g. "blk.4.ffn_down.weight")
// of a model with n_layers layers.
DType mixture_type(const QuantMixture& m, std::string_view tensor_name, int n_layers);

}  // namespace clawbot::cli
