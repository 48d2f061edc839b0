#pragma once
// Hyper-parameters of a llama-family model, read from GGUF metadata.
#include <cstdint>
#include <string>

#include "common/result.h"
#include "engine/gguf/gguf_file.h"

namespace clawbot {

enum class Architecture { Llama, Qwen2, Qwen3, Qwen3Moe, Phi3, Gemma2, Gemma3 };

// Llama rotates adjacent pairs (the converter permutes Q/K to make that
// right); the others rotate element i with i + rope_dims/2 ("NeoX").
enum class RopeStyle { Adjacent, NeoX };

struct ModelConfig {
    Architecture arch = Architecture::Llama;
    std::string arch_name;
    int n_vocab = 0;
    int dim = 0;
    int n_layers = 0;
    int n_heads = 0;
    int n_kv_heads = 0;
    int head_dim = 0;
    int ffn_dim = 0;
    int context_length = 0;   // trained context
    int rope_dims = 0;        // leading dims of each head that rotate
    float rope_base = 10000.0f;
    // LongRoPE (phi3): per-pair frequency divisors come from the
    // rope_factors_long/short tensors; long ones when the served context
    // exceeds the original one. attn_factor scales the rotated Q and K.
    int rope_original_context = 0;  // 0: no scaling metadata
    float rope_attn_factor = 1.0f;
    float rms_eps = 1e-5f;
    RopeStyle rope_style = RopeStyle::Adjacent;
    bool qkv_bias = false;
    bool qk_norm = false;     // per-head RMSNorm of Q and K before RoPE (qwen3)
    bool fused_qkv = false;   // one attn_qkv matrix and one gate/up ffn_up matrix (phi3)
    // gemma2, gemma3: embeddings scaled by sqrt(dim), norms after attention
    // and FFN too, a GELU-gated FFN, queries pre-scaled by query_scale (then
    // no 1/sqrt(head_dim) in the attention), and sliding-window layers.
    bool embed_scaled = false;
    bool post_norms = false;
    bool gelu_ffn = false;
    // Queries multiplied by this after RoPE, before they are rounded to F16
    // for attention (gemma3, phi3, as the reference's graphs do); 0: the
    // attention scales each score by 1/sqrt(head_dim) instead.
    float query_scale = 0.0f;
    int sliding_window = 0;         // positions a local layer sees (itself included); 0: none
    int swa_pattern = 0;            // layer l is local unless (l + 1) % swa_pattern == 0
    float rope_base_local = 10000.0f;
    float rope_freq_scale = 1.0f;   // linear RoPE scaling of the global layers (positions times this)
    // Soft-capping (gemma2): attention scores become cap * tanh(score / cap)
    // before the softmax, and so do the output logits; 0: none.
    float attn_softcap = 0.0f;
    float final_softcap = 0.0f;

    bool is_local_layer(int layer) const {
        return sliding_window > 0 && swa_pattern > 0 && (layer + 1) % swa_pattern != 0;
    }
    // Mixture of experts (qwen3moe): every layer's FFN is n_experts experts
    // of expert_ffn_dim, of which each token uses n_experts_used; 0 if dense.
    int n_experts = 0;
    int n_experts_used = 0;
    int expert_ffn_dim = 0;

    int q_dim() const { return n_heads * head_dim; }
    int kv_dim() const { return n_kv_heads * head_dim; }
};

// Refuses an unsupported architecture by name and any missing or
// inconsistent hyper-parameter (so no later shape check can overflow).
Result<ModelConfig> read_model_config(const gguf::GgufFile& file);

}  // namespace clawbot
