#include "cli/model_shapes.h"

#include <array>

namespace clawbot::cli {
namespace {

// moe-bench is Qwen3-30B-A3B's layout (128 experts, 8 used per token)
// scaled down to fit this machine's memory (4.9B parameters, 0.4B active);
// moe-bench-dense has the same active parameters per token in one dense FFN
// (8 x 512 = 4096), the baseline the MoE decode speed is judged against.
// 24 layers, not fewer: the dense baseline must stream well past the last-
// level cache (about 230 MB per token here), as the MoE's experts do, or it
// decodes partly from cache and the comparison measures the cache.
const std::array<ModelShape, 7> kShapes = {{
    {"tinyllama-1.1b", 2048, 22, 32, 4, 5632, 32000, 2048, 10000.0f},
    {"llama-7b", 4096, 32, 32, 32, 11008, 32000, 4096, 10000.0f},
    {"bench-125m", 768, 12, 12, 4, 2048, 32000, 4096, 10000.0f},
    {"moe-bench", 1024, 24, 16, 4, 4096, 32000, 4096, 1000000.0f, 128, 8, 512},
    {"moe-bench-dense", 1024, 24, 16, 4, 4096, 32000, 4096, 1000000.0f},
    {"test-small", 256, 2, 8, 4, 768, 4096, 2048, 10000.0f},
    {"test-tiny", 64, 2, 4, 2, 256, 1024, 512, 10000.0f},
}};

}  // namespace

std::optional<ModelShape> find_shape(const std::string& name) {
    for (const ModelShape& s : kShapes) {
        if (s.name == name) return s;
    }
    return std::nullopt;
}

std::string shape_names() {
    std::string names;
    for (const ModelShape& s : kShapes) names += (names.empty() ? "" : ", ") + s.name;
    return names;
}

}  // namespace clawbot::cli
