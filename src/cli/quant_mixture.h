#pragma once
// Named quantization mixtures ("q4_k_m"): which tensors of a model get which
// type, following the presets of llama.cpp's quantizer so a file made here
// matches the size and quality of the one users download under that name.
#include <optional>
#include <string>
#include <string_view>

#include "engine/tensor/dtype.h"

namespace clawbot::cli {

struct QuantMixture {
    std::string_view name;  // "q4_k_m"
    DType base;             // most tensors
    DType more_bits;        // output, and attn_v / ffn_down of the layers that need them
    uint32_t file_type;     // llama.cpp's general.file_type for the mixture
};

std::optional<QuantMixture> find_mixture(std::string_view name);

// "blk.12.ffn_down.weight" -> 12; -1 for tensors outside the layers.
int layer_index(std::string_view tensor_name);

// The type for weight matrix `tensor_name` (e.g. "blk.4.ffn_down.weight")
// of a model with n_layers layers.
DType mixture_type(const QuantMixture& m, std::string_view tensor_name, int n_layers);

}  // namespace clawbot::cli
