#include "cli/quant_mixture.h"

#include <array>
#include <charconv>

namespace clawbot::cli {
namespace {

constexpr std::array<QuantMixture, 3> kMixtures = {{
    {"q4_k_m", DType::Q4_K, MixtureRule::MoreBitsInSomeLayers, 15},
    {"q5_k_m", DType::Q5_K, MixtureRule::MoreBitsInSomeLayers, 17},
    {"q3_k_m", DType::Q3_K, MixtureRule::Q3_K_M, 12},
}};

// llama.cpp's use_more_bits: the first and last eighth of the layers, and
// every third layer between them.
bool uses_more_bits(int layer, int n_layers) {
    return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

int layer_index(std::string_view name) {
    if (name.substr(0, 4) != "blk.") return -1;
    int layer = -1;
    const char* first = name.data() + 4;
    const auto [end, ec] = std::from_chars(first, name.data() + name.size(), layer);
    return ec == std::errc() && end != first && layer >= 0 ? layer : -1;
}

std::optional<QuantMixture> find_mixture(std::string_view name) {
    for (const QuantMixture& m : kMixtures) {
        if (m.name.size() != name.size()) continue;
        bool same = true;
        for (size_t i = 0; i < name.size(); ++i) same &= (name[i] | 0x20) == (m.name[i] | 0x20);
        if (same) return m;
    }
    return std::nullopt;
}

DType mixture_type(const QuantMixture& m, std::string_view tensor_name, int n_layers) {
    if (tensor_name == "output.weight") return DType::Q6_K;
    const int layer = layer_index(tensor_name);
    if (layer < 0) return m.base;
    const bool attn_v = ends_with(tensor_name, ".attn_v.weight"), ffn_down = ends_with(tensor_name, ".ffn_down.weight");
    switch (m.rule) {
        case MixtureRule::MoreBitsInSomeLayers:
            return (attn_v || ffn_down) && uses_more_bits(layer, n_layers) ? DType::Q6_K : m.base;
        case MixtureRule::Q3_K_M:
            // As llama.cpp: the first two attn_v and the first sixteenth of
            // ffn_down in Q5_K, the rest of them and attn_output in Q4_K.
            if (attn_v) return layer < 2 ? DType::Q5_K : DType::Q4_K;
            if (ffn_down) return layer < n_layers / 16 ? DType::Q5_K : DType::Q4_K;
            if (ends_with(tensor_name, ".attn_output.weight")) return DType::Q4_K;
            return m.base;
    }
    return m.base;
}

}  // namespace clawbot::cli
