#include "engine/model/model_config.h"

#include <cmath>
#include <string>
#include <utility>

namespace clawbot {
namespace {

// A positive integer no larger than `limit`, from key "<arch>.<name>".
Result<int> read_dim(const gguf::GgufFile& file, const std::string& key, int limit) {
    auto v = file.get_int(key);
    if (!v) return make_error("missing model parameter '" + key + "'");
    if (*v <= 0 || *v > limit) return make_error("model parameter '" + key + "' out of range: " + std::to_string(*v));
    return static_cast<int>(*v);
}

}  // namespace

Result<ModelConfig> read_model_config(const gguf::GgufFile& file) {
    ModelConfig c;
    auto arch = file.get_string("general.architecture");
    if (!arch) return make_error("missing 'general.architecture'");
    c.arch_name = std::string(*arch);
    if (c.arch_name == "llama") {
        c.arch = Architecture::Llama;
        c.rope_style = RopeStyle::Adjacent;
    } else if (c.arch_name == "qwen2") {
        c.arch = Architecture::Qwen2;
        c.rope_style = RopeStyle::NeoX;
        c.qkv_bias = true;
    } else if (c.arch_name == "qwen3" || c.arch_name == "qwen3moe") {
        c.arch = c.arch_name == "qwen3" ? Architecture::Qwen3 : Architecture::Qwen3Moe;
        c.rope_style = RopeStyle::NeoX;
        c.qk_norm = true;
    } else if (c.arch_name == "phi3") {
        c.arch = Architecture::Phi3;
        c.rope_style = RopeStyle::NeoX;
        c.fused_qkv = true;
    } else if (c.arch_name == "gemma2" || c.arch_name == "gemma3") {
        const bool gemma3 = c.arch_name == "gemma3";
        c.arch = gemma3 ? Architecture::Gemma3 : Architecture::Gemma2;
        c.rope_style = RopeStyle::NeoX;
        c.qk_norm = gemma3;  // gemma2 soft-caps its scores instead
        c.embed_scaled = true;
        c.post_norms = true;
        c.gelu_ffn = true;
        c.swa_pattern = gemma3 ? 6 : 2;  // gemma2: every other layer local, the first one included
    } else {
        return make_error("unsupported architecture '" + c.arch_name +
                          "' (supported: llama, qwen2, qwen3, qwen3moe, phi3, gemma2, gemma3)");
    }
    const std::string p = c.arch_name + ".";
    constexpr int kMaxDim = 1 << 16;
    auto dim = read_dim(file, p + "embedding_length", kMaxDim);
    if (!dim) return dim.error();
    auto layers = read_dim(file, p + "block_count", 1024);
    if (!layers) return layers.error();
    auto ffn = read_dim(file, p + "feed_forward_length", 1 << 18);
    if (!ffn) return ffn.error();
    if (c.arch == Architecture::Qwen3Moe) {
        auto experts = read_dim(file, p + "expert_count", 1024);
        if (!experts) return experts.error();
        auto used = read_dim(file, p + "expert_used_count", *experts);
        if (!used) return used.error();
        auto expert_ffn = read_dim(file, p + "expert_feed_forward_length", 1 << 18);
        if (!expert_ffn) return expert_ffn.error();
        c.n_experts = *experts;
        c.n_experts_used = *used;
        c.expert_ffn_dim = *expert_ffn;
    }
    auto heads = read_dim(file, p + "attention.head_count", 1024);
    if (!heads) return heads.error();
    c.dim = *dim;
    c.n_layers = *layers;
    c.ffn_dim = *ffn;
    c.n_heads = *heads;
    c.n_kv_heads = c.n_heads;
    if (file.find(p + "attention.head_count_kv")) {
        auto kv = read_dim(file, p + "attention.head_count_kv", 1024);
        if (!kv) return kv.error();
        c.n_kv_heads = *kv;
    }
    if (c.n_heads % c.n_kv_heads != 0) return make_error("head_count is not a multiple of head_count_kv");
    c.head_dim = c.dim / c.n_heads;
    if (file.find(p + "attention.key_length")) {
        auto kl = read_dim(file, p + "attention.key_length", 4096);
        if (!kl) return kl.error();
        c.head_dim = *kl;
    }
    if (c.head_dim <= 0 || c.head_dim % 2 != 0) return make_error("head dimension must be even and positive");
    if (file.find(p + "attention.value_length")) {
        auto vl = read_dim(file, p + "attention.value_length", 4096);
        if (!vl) return vl.error();
        if (*vl != c.head_dim) {
            return make_error("attention.value_length " + std::to_string(*vl) + " differs from the key length " +
                              std::to_string(c.head_dim) + " (not supported)");
        }
    }
    c.rope_dims = c.head_dim;
    if (file.find(p + "rope.dimension_count")) {
        auto rd = read_dim(file, p + "rope.dimension_count", c.head_dim);
        if (!rd) return rd.error();
        c.rope_dims = *rd;
    }
    c.context_length = 4096;
    if (file.find(p + "context_length")) {
        auto ctx = read_dim(file, p + "context_length", 1 << 24);
        if (!ctx) return ctx.error();
        c.context_length = *ctx;
    }
    if (auto base = file.get_float(p + "rope.freq_base")) c.rope_base = static_cast<float>(*base);
    if (auto factor = file.get_float(p + "rope.scaling.attn_factor")) c.rope_attn_factor = static_cast<float>(*factor);
    if (!(c.rope_attn_factor > 0 && c.rope_attn_factor < 16)) return make_error("rope.scaling.attn_factor out of range");
    if (file.find(p + "rope.scaling.original_context_length")) {
        auto orig = read_dim(file, p + "rope.scaling.original_context_length", 1 << 24);
        if (!orig) return orig.error();
        c.rope_original_context = *orig;
    }
    if (auto eps = file.get_float(p + "attention.layer_norm_rms_epsilon")) c.rms_eps = static_cast<float>(*eps);
    if (!(c.rope_base > 0) || !(c.rms_eps > 0)) return make_error("rope base and rms epsilon must be positive");
    if (auto type = file.get_string(p + "rope.scaling.type"); type && *type == "linear") {
        if (auto factor = file.get_float(p + "rope.scaling.factor")) {
            if (!(*factor >= 1 && *factor <= 1024)) return make_error("rope.scaling.factor out of range");
            c.rope_freq_scale = static_cast<float>(1.0 / *factor);
        }
    }
    // Phi-3 scales its queries by 1/sqrt(head_dim) before attention; the
    // reference then rounds the scaled query to F16, which for a head size
    // that is not a power of 4 differs from scaling the scores afterwards.
    if (c.arch == Architecture::Phi3) c.query_scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
    if (c.arch == Architecture::Gemma2 || c.arch == Architecture::Gemma3) {
        if (file.find(p + "attention.sliding_window")) {
            auto window = read_dim(file, p + "attention.sliding_window", 1 << 24);
            if (!window) return window.error();
            c.sliding_window = *window;
        }
        // Gemma 2's local layers rotate with the global base; Gemma 3's have their own.
        c.rope_base_local = c.arch == Architecture::Gemma2 ? c.rope_base : 10000.0f;
        if (auto base = file.get_float(p + "rope.freq_base_swa")) c.rope_base_local = static_cast<float>(*base);
        if (!(c.rope_base_local > 0)) return make_error("rope.freq_base_swa must be positive");
        // As the reference: 1/sqrt(head_dim), except the 27B models, whose
        // queries were trained with 1/sqrt(dim/heads): Gemma 3 27B (dim 5376,
        // 32 heads of 128) and Gemma 2 27B (its 46 layers are how the
        // reference tells it apart).
        const bool dim_per_head = c.arch == Architecture::Gemma3 ? (c.dim == 5376 && c.n_heads == 32) : c.n_layers == 46;
        const int scale_dim = dim_per_head ? c.dim / c.n_heads : c.head_dim;
        c.query_scale = 1.0f / std::sqrt(static_cast<float>(scale_dim));
    }
    if (c.arch == Architecture::Gemma2) {
        // The reference's defaults when a converter left the keys out.
        c.attn_softcap = 50.0f;
        c.final_softcap = 30.0f;
        for (auto [name, cap] : {std::pair{"attn_logit_softcapping", &c.attn_softcap},
                                 std::pair{"final_logit_softcapping", &c.final_softcap}}) {
            if (auto v = file.get_float(p + name)) *cap = static_cast<float>(*v);
            if (!(*cap > 0 && *cap < 1e6f)) return make_error(p + name + " must be positive and finite");
        }
    }
    return c;
}

}  // namespace clawbot
