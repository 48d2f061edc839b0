#pragma once
// What a model file is and what serving it costs, computed in one place for
// `clawbot show`, `clawbot doctor` and the memory check at `serve` start.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/kv/kv_budget.h"
#include "engine/model/model.h"
#include "engine/tensor/dtype.h"

namespace clawbot {

struct TensorTypeCount {
    DType type;
    int tensors = 0;
    uint64_t elements = 0;
    uint64_t bytes = 0;
};

struct ModelFacts {
    std::string architecture;  // general.architecture
    std::string name;          // general.name, or empty
    uint64_t file_bytes = 0;
    uint64_t parameters = 0;   // elements of every tensor
    std::vector<TensorTypeCount> types;  // most bytes first
    // How conversations are rendered: the file's own Jinja template when it
    // parses (with template_family behind it), else the built-in family.
    bool model_template = false;
    std::string template_family;
    std::string template_error;  // why the file's template could not be used, if it has one
    ModelConfig config;
};

// Facts of a loaded model whose file has file_bytes bytes.
ModelFacts model_facts(const Model& model, uint64_t file_bytes);

struct ServingMemory {
    uint64_t weights = 0;   // the weights in memory (packed copies replace the file's pages)
    KvBudget kv;            // the KV cache the engine allocates by default
    int context = 0;        // the context it is sized for (CTX_SIZE capped at the trained one)
    uint64_t total() const { return weights + static_cast<uint64_t>(kv.bytes()); }
};

// The weights' resident size once loaded: with repacking, each matrix of a
// type with packed kernels on this CPU takes its packed size (the file's
// pages are released) and a tied embedding keeps its file pages beside its
// packed copy; everything else stays the file's bytes.
uint64_t weight_memory(const gguf::GgufFile& file, bool repack);

// Memory to serve a model at ctx_size (capped at its trained context) with
// max_batch_size sequences at once.
ServingMemory serving_memory(const ModelConfig& config, uint64_t weight_bytes, int ctx_size, int max_batch_size);

// "llama, qwen2, ..." and "f32, f16, ..." for messages that say what runs.
std::string supported_architectures();
std::string supported_tensor_types();

}  // namespace clawbot
