#pragma once
// Views of a model's weights inside the mapped GGUF file, and the packed
// copies pack_weights() makes of the matrices the packed kernels can run.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/result.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model/model_config.h"
#include "engine/model/weight_packing.h"
#include "engine/tensor/dtype.h"
#include "engine/tensor/kernels.h"
#include "engine/tensor/packed_kernels.h"

namespace clawbot {

// A 2-D weight: `rows` rows of `cols` elements, row r at data + r * row_stride.
struct Matrix {
    DType type = DType::F32;
    const uint8_t* data = nullptr;
    int64_t rows = 0;
    int64_t cols = 0;
    size_t row_stride = 0;
    // Kernels resolved once at load, so a matmul does no table search.
    const kernels::TypeKernels* kernels = nullptr;
    // Set when the matrix has a packed copy: the packed kernels run on it
    // and `data` (the file) is no longer read by matmuls.
    const kernels::PackedKernels* packed_kernels = nullptr;
    const uint8_t* packed = nullptr;
};

struct LayerWeights {
    const float* attn_norm = nullptr;
    Matrix wq, wk, wv, wo;
    const float* bq = nullptr;  // Q/K/V biases (qwen2), else null
    const float* bk = nullptr;
    const float* bv = nullptr;
    const float* q_norm = nullptr;  // per-head Q/K RMSNorm weights [head_dim] (qwen3), else null
    const float* k_norm = nullptr;
    const float* post_attn_norm = nullptr;  // gemma3: norms of the attention and FFN outputs, else null
    const float* post_ffn_norm = nullptr;
    const float* ffn_norm = nullptr;
    Matrix w_gate, w_up, w_down;  // dense FFN (unset in a mixture-of-experts layer)
    // Mixture of experts: the router [dim -> n_experts] and each expert's
    // FFN, views into the file's 3-D expert tensors.
    Matrix router;
    std::vector<Matrix> expert_gate, expert_up, expert_down;
};

// Calls f on every weight matrix of a layer, experts included.
template <typename Layer, typename F>
void for_each_matrix(Layer& L, F&& f) {
    for (auto* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down, &L.router}) f(*m);
    // Expert by expert: packing follows this order, so an expert's gate and
    // up lie side by side and a decode step streams them as one run.
    for (size_t e = 0; e < L.expert_gate.size(); ++e) {
        f(L.expert_gate[e]);
        f(L.expert_up[e]);
        f(L.expert_down[e]);
    }
}

struct ModelWeights {
    Matrix token_embedding;  // n_vocab rows of dim
    const float* output_norm = nullptr;
    Matrix output;           // the embedding itself when tied
    // LongRoPE frequency divisors [rope_dims / 2] (phi3), or null
    const float* rope_factors_long = nullptr;
    const float* rope_factors_short = nullptr;
    std::vector<LayerWeights> layers;
    std::vector<PackedBuffer> packed_storage;  // owns every Matrix::packed
};

// Points every matrix at the kernels of the best ISA no higher than `cap`.
void use_kernels_up_to(ModelWeights& weights, kernels::Isa cap);

// Binds every tensor by name, checking shape and type; sets config.n_vocab.
// Refuses a tensor type the kernels cannot run, naming tensor and type.
Result<ModelWeights> bind_weights(const gguf::GgufFile& file, ModelConfig& config);

}  // namespace clawbot
