#include "cli/model_shapes.h"

#include <array>

namespace clawbot::cli {
namespace {

const std::array<ModelShape, 5> kShapes = {{
    {"tinyllama-1.1b", 2048, 22, 32, 4, 5632, 32000, 2048, 10000.0f},
    {"llama-7b", 4096, 32, 32, 32, 11008, 32000, 4096, 10000.0f},
    {"bench-125m", 768, 12, 12, 4, 2048, 32000, 4096, 10000.0f},
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
