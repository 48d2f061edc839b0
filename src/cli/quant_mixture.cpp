#include "cli/quant_mixture.h"

#include <array>
#include <charconv>

namespace clawbot::cli {
namespace {

constexpr std::array<QuantMixture, 1> kMixtures = {{
    {"q4_k_m", DType::Q4_K, DType::Q6_K, 15},
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
    if (tensor_name == "output.weight") return m.more_bits;
    const int layer = layer_index(tensor_name);
    if (layer >= 0 && (ends_with(tensor_name, ".attn_v.weight") || ends_with(tensor_name, ".ffn_down.weight")) &&
        uses_more_bits(layer, n_layers)) {
        return m.more_bits;
    }
    return m.base;
}

}  // namespace clawbot::cli
