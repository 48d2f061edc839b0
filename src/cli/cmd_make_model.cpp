#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "cli/model_shapes.h"
#include "cli/quant_mixture.h"
#include "cli/synthetic_vocab.h"
#include "cli/tensor_convert.h"
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"

namespace clawbot::cli {
namespace {

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// Uniform values of standard deviation `stddev`, a pure function of
// (seed, tensor, row), so rows can be made on any thread in any order.
RowSource random_rows(uint64_t seed, uint64_t tensor, int64_t cols, float stddev) {
    return [=](int64_t row, float* out) {
        uint64_t state = seed * 0x100000001b3ull ^ (tensor << 40) ^ static_cast<uint64_t>(row);
        const float scale = stddev * std::sqrt(3.0f) / static_cast<float>(1ull << 31);
        for (int64_t i = 0; i < cols; ++i) {
            const int64_t r = static_cast<int64_t>(splitmix64(state) >> 32) - (1ll << 31);
            out[i] = static_cast<float>(r) * scale;
        }
    };
}


int copy_vocab(gguf::GgufWriter& out, const std::string& path, int& n_vocab) {
    auto file = gguf::GgufFile::open(path);
    if (!file) return fail(file.error().message);
    const gguf::ArrayValue* tokens = (*file)->get_array("tokenizer.ggml.tokens");
    if (!tokens) return fail(path + ": no tokenizer.ggml.tokens");
    for (const auto& [key, value] : (*file)->metadata()) {
        if (key.substr(0, 10) == "tokenizer.") out.copy_value(std::string(key), value);
    }
    n_vocab = static_cast<int>(tokens->count);
    return 0;
}

}  // namespace

int run_make_model(const MakeModelOptions& o) {
    auto shape = find_shape(o.shape);
    if (!shape) return fail("unknown shape '" + o.shape + "' (known: " + shape_names() + ")");
    DType type;
    if (!parse_write_type(o.type, type)) return fail("unsupported --type '" + o.type + "' (" + std::string(kQuantizeTypesHelp) + ", without the mixtures)");
    const ModelShape& s = *shape;
    gguf::GgufWriter out;
    int n_vocab = s.n_vocab;
    if (!o.vocab_from.empty()) {
        if (int rc = copy_vocab(out, o.vocab_from, n_vocab)) return rc;
    } else {
        write_synthetic_vocab(out, n_vocab);
    }
    const bool moe = s.n_experts > 0;
    const std::string arch = moe ? "qwen3moe" : "llama";
    out.set_string("general.architecture", arch);
    out.set_string("general.name", "random-" + s.name);
    out.set_u32("general.file_type", file_type_of(type));
    out.set_u32(arch + ".context_length", static_cast<uint32_t>(s.context_length));
    out.set_u32(arch + ".embedding_length", static_cast<uint32_t>(s.dim));
    out.set_u32(arch + ".block_count", static_cast<uint32_t>(s.n_layers));
    out.set_u32(arch + ".feed_forward_length", static_cast<uint32_t>(s.ffn_dim));
    out.set_u32(arch + ".attention.head_count", static_cast<uint32_t>(s.n_heads));
    out.set_u32(arch + ".attention.head_count_kv", static_cast<uint32_t>(s.n_kv_heads));
    out.set_f32(arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
    out.set_f32(arch + ".rope.freq_base", s.rope_base);
    out.set_u32(arch + ".vocab_size", static_cast<uint32_t>(n_vocab));
    if (moe) {
        out.set_u32(arch + ".expert_count", static_cast<uint32_t>(s.n_experts));
        out.set_u32(arch + ".expert_used_count", static_cast<uint32_t>(s.n_experts_used));
        out.set_u32(arch + ".expert_feed_forward_length", static_cast<uint32_t>(s.expert_ffn_dim));
    }

    ThreadPool pool(resolve_threads(o.threads));
    uint64_t tensor_index = 0;
    // n_experts > 0: a 3-D expert tensor, n_experts matrices of rows x cols.
    auto add_matrix = [&](const std::string& name, int64_t cols, int64_t rows, float stddev, int64_t n_experts = 0) {
        const DType dst = storage_type_for(type, cols);
        RowSource source = random_rows(o.seed, ++tensor_index, cols, stddev);
        std::vector<uint64_t> ne = {static_cast<uint64_t>(cols), static_cast<uint64_t>(rows)};
        if (n_experts > 0) ne.push_back(static_cast<uint64_t>(n_experts));
        const int64_t all_rows = rows * std::max<int64_t>(n_experts, 1);
        out.add_tensor(name, dst, ne, [&pool, dst, all_rows, cols, source](uint8_t* bytes, size_t) {
            convert_rows(pool, dst, all_rows, cols, source, bytes);
        });
    };
    auto add_norm = [&](const std::string& name, int64_t n) {
        std::vector<uint8_t> bytes(static_cast<size_t>(n) * sizeof(float));
        for (int64_t i = 0; i < n; ++i) {
            const float one = 1.0f;
            std::memcpy(bytes.data() + i * sizeof(float), &one, sizeof one);
        }
        out.add_tensor(name, DType::F32, {static_cast<uint64_t>(n)}, std::move(bytes));
    };
    const int64_t head_dim = s.dim / s.n_heads;
    const int64_t q_dim = head_dim * s.n_heads, kv_dim = head_dim * s.n_kv_heads;
    add_matrix("token_embd.weight", s.dim, n_vocab, 1.0f);
    add_norm("output_norm.weight", s.dim);
    add_matrix("output.weight", s.dim, n_vocab, 1.0f / std::sqrt(static_cast<float>(s.dim)));
    for (int l = 0; l < s.n_layers; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        const float in_std = 1.0f / std::sqrt(static_cast<float>(s.dim));
        add_norm(p + "attn_norm.weight", s.dim);
        add_matrix(p + "attn_q.weight", s.dim, q_dim, in_std);
        add_matrix(p + "attn_k.weight", s.dim, kv_dim, in_std);
        add_matrix(p + "attn_v.weight", s.dim, kv_dim, in_std);
        add_matrix(p + "attn_output.weight", q_dim, s.dim, 1.0f / std::sqrt(static_cast<float>(q_dim)));
        add_norm(p + "ffn_norm.weight", s.dim);
        if (moe) {
            add_norm(p + "attn_q_norm.weight", head_dim);
            add_norm(p + "attn_k_norm.weight", head_dim);
            // The router stays F32, as converters write it.
            std::vector<uint8_t> router(static_cast<size_t>(s.dim) * s.n_experts * sizeof(float));
            std::vector<float> row(static_cast<size_t>(s.dim));
            const RowSource source = random_rows(o.seed, ++tensor_index, s.dim, in_std);
            for (int e = 0; e < s.n_experts; ++e) {
                source(e, row.data());
                std::memcpy(router.data() + static_cast<size_t>(e) * s.dim * sizeof(float), row.data(), row.size() * sizeof(float));
            }
            out.add_tensor(p + "ffn_gate_inp.weight", DType::F32, {static_cast<uint64_t>(s.dim), static_cast<uint64_t>(s.n_experts)},
                           std::move(router));
            add_matrix(p + "ffn_gate_exps.weight", s.dim, s.expert_ffn_dim, in_std, s.n_experts);
            add_matrix(p + "ffn_up_exps.weight", s.dim, s.expert_ffn_dim, in_std, s.n_experts);
            add_matrix(p + "ffn_down_exps.weight", s.expert_ffn_dim, s.dim, 1.0f / std::sqrt(static_cast<float>(s.expert_ffn_dim)),
                       s.n_experts);
        } else {
            add_matrix(p + "ffn_gate.weight", s.dim, s.ffn_dim, in_std);
            add_matrix(p + "ffn_up.weight", s.dim, s.ffn_dim, in_std);
            add_matrix(p + "ffn_down.weight", s.ffn_dim, s.dim, 1.0f / std::sqrt(static_cast<float>(s.ffn_dim)));
        }
    }
    auto written = out.write(o.output);
    if (!written) return fail(written.error().message);
    std::cerr << "clawbot: wrote " << o.output << " (" << s.name << ", " << dtype_name(type) << ")\n";
    return 0;
}

}  // namespace clawbot::cli
