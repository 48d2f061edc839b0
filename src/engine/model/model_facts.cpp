#include "engine/model/model_facts.h"

#include <algorithm>

#include "engine/chat/chat_template.h"
#include "engine/model/kv_shape.h"
#include "engine/tensor/kernels.h"
#include "engine/tensor/packed_kernels.h"

namespace clawbot {

ModelFacts model_facts(const Model& model, uint64_t file_bytes) {
    ModelFacts f;
    const gguf::GgufFile& file = model.file();
    f.config = model.config();
    f.architecture = f.config.arch_name;
    if (auto name = file.get_string("general.name")) f.name = std::string(*name);
    f.file_bytes = file_bytes;
    for (const gguf::TensorInfo& t : file.tensors()) {
        f.parameters += t.n_elements();
        auto it = std::find_if(f.types.begin(), f.types.end(), [&](const TensorTypeCount& c) { return c.type == t.type; });
        if (it == f.types.end()) it = f.types.insert(f.types.end(), TensorTypeCount{t.type});
        ++it->tensors;
        it->elements += t.n_elements();
        it->bytes += t.n_bytes;
    }
    std::sort(f.types.begin(), f.types.end(), [](const TensorTypeCount& a, const TensorTypeCount& b) { return a.bytes > b.bytes; });
    const chat::ChatTemplate tmpl = chat::ChatTemplate::from_model(file.get_string("tokenizer.chat_template"), "", "");
    f.model_template = tmpl.has_model_template();
    f.template_family = std::string(chat::family_name(tmpl.family()));
    f.template_error = tmpl.model_template_error();
    return f;
}

uint64_t weight_memory(const gguf::GgufFile& file, bool repack) {
    uint64_t bytes = file.file_size();
    if (!repack) return bytes;
    const bool tied = file.tensor("output.weight") == nullptr;
    for (const gguf::TensorInfo& t : file.tensors()) {
        const kernels::PackedKernels* packed = kernels::packed_kernels(t.type);
        const std::string_view name = t.name;
        const bool matrix = t.n_dims >= 2 && name.size() > 7 && name.substr(name.size() - 7) == ".weight";
        if (!packed || !matrix || (name == "token_embd.weight" && !tied)) continue;
        // Expert tensors pack as one matrix per expert.
        const uint64_t count = t.n_dims == 3 ? t.ne[2] : 1;
        const uint64_t packed_bytes = count * packed->packed_bytes(static_cast<int64_t>(t.ne[1]), static_cast<int64_t>(t.ne[0]));
        // A tied embedding is read by the lookups from the file and used
        // packed as the output: both copies stay.
        bytes += packed_bytes;
        if (name != "token_embd.weight") bytes -= t.n_bytes;
    }
    return bytes;
}

ServingMemory serving_memory(const ModelConfig& config, uint64_t weight_bytes, int ctx_size, int max_batch_size) {
    ServingMemory m;
    m.weights = weight_bytes;
    m.context = std::clamp(ctx_size, 16, std::max(config.context_length, 16));
    // The engine's defaults: its block size and step budget.
    const KvShape shape = kv_shape(config, kDefaultKvBlockSize, step_token_budget_for(kDefaultStepTokens, max_batch_size));
    m.kv = default_kv_budget(shape, max_batch_size, m.context);
    return m;
}

std::string supported_architectures() { return "llama (Llama, Mistral, TinyLlama, DeepSeek-R1 Llama distills), qwen2 (and DeepSeek-R1 Qwen distills), qwen3, qwen3moe, gemma2, gemma3, phi3"; }

std::string supported_tensor_types() {
    std::string names;
    for (DType t : {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q6_K, DType::Q5_K, DType::Q5_0, DType::Q5_1,
                    DType::Q4_K, DType::Q4_0, DType::Q4_1, DType::IQ4_XS, DType::IQ4_NL, DType::Q3_K, DType::Q2_K}) {
        if (kernels::is_supported_weight(t)) names += (names.empty() ? "" : ", ") + std::string(dtype_name(t));
    }
    return names;
}

}  // namespace clawbot
