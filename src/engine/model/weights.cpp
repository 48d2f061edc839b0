#include "engine/model/weights.h"

#include <string>

#include "engine/tensor/kernels.h"

namespace clawbot {
namespace {

std::string shape_text(const gguf::TensorInfo& t) {
    std::string s = "[";
    for (uint32_t d = 0; d < t.n_dims; ++d) s += (d ? ", " : "") + std::to_string(t.ne[d]);
    return s + "]";
}

Result<const gguf::TensorInfo*> find_tensor(const gguf::GgufFile& file, const std::string& name) {
    const gguf::TensorInfo* t = file.tensor(name);
    if (!t) return make_error("missing tensor '" + name + "'");
    return t;
}

Result<Matrix> bind_matrix(const gguf::GgufFile& file, const std::string& name, int64_t cols, int64_t rows) {
    auto t = find_tensor(file, name);
    if (!t) return t.error();
    const gguf::TensorInfo& info = **t;
    if (info.n_dims != 2 || static_cast<int64_t>(info.ne[0]) != cols || (rows > 0 && static_cast<int64_t>(info.ne[1]) != rows)) {
        return make_error("tensor '" + name + "' has shape " + shape_text(info) + ", expected [" +
                          std::to_string(cols) + ", " + std::to_string(rows) + "]");
    }
    if (!kernels::is_supported_weight(info.type)) {
        return make_error("tensor '" + name + "' has unsupported type " + std::string(dtype_name(info.type)));
    }
    Matrix m;
    m.type = info.type;
    m.data = info.data;
    m.rows = static_cast<int64_t>(info.ne[1]);
    m.cols = cols;
    m.row_stride = row_bytes(info.type, cols);
    m.kernels = kernels::kernels(info.type);
    return m;
}

// The n_experts matrices of a 3-D expert tensor [cols, rows, n_experts],
// each a view of its rows.
Result<std::vector<Matrix>> bind_experts(const gguf::GgufFile& file, const std::string& name, int64_t cols,
                                         int64_t rows, int n_experts) {
    auto t = find_tensor(file, name);
    if (!t) return t.error();
    const gguf::TensorInfo& info = **t;
    if (info.n_dims != 3 || static_cast<int64_t>(info.ne[0]) != cols || static_cast<int64_t>(info.ne[1]) != rows ||
        static_cast<int64_t>(info.ne[2]) != n_experts) {
        return make_error("tensor '" + name + "' has shape " + shape_text(info) + ", expected [" + std::to_string(cols) +
                          ", " + std::to_string(rows) + ", " + std::to_string(n_experts) + "]");
    }
    if (!kernels::is_supported_weight(info.type)) {
        return make_error("tensor '" + name + "' has unsupported type " + std::string(dtype_name(info.type)));
    }
    std::vector<Matrix> experts(static_cast<size_t>(n_experts));
    const size_t stride = row_bytes(info.type, cols);
    for (int e = 0; e < n_experts; ++e) {
        Matrix& m = experts[static_cast<size_t>(e)];
        m.type = info.type;
        m.data = info.data + static_cast<size_t>(e) * static_cast<size_t>(rows) * stride;
        m.rows = rows;
        m.cols = cols;
        m.row_stride = stride;
        m.kernels = kernels::kernels(info.type);
    }
    return experts;
}

// Rows [first, first + count) of m, as a matrix of its own (no copy).
Matrix row_slice(const Matrix& m, int64_t first, int64_t count) {
    Matrix s = m;
    s.data = m.data + static_cast<size_t>(first) * m.row_stride;
    s.rows = count;
    return s;
}

// phi3's fused matrices, split into views: attn_qkv is Q's rows, then K's,
// then V's; ffn_up is the gate's rows, then up's.
Result<bool> bind_fused(const gguf::GgufFile& file, const std::string& p, const ModelConfig& c, LayerWeights& L) {
    auto qkv = bind_matrix(file, p + "attn_qkv.weight", c.dim, c.q_dim() + 2 * c.kv_dim());
    if (!qkv) return qkv.error();
    L.wq = row_slice(*qkv, 0, c.q_dim());
    L.wk = row_slice(*qkv, c.q_dim(), c.kv_dim());
    L.wv = row_slice(*qkv, c.q_dim() + c.kv_dim(), c.kv_dim());
    auto gate_up = bind_matrix(file, p + "ffn_up.weight", c.dim, 2 * static_cast<int64_t>(c.ffn_dim));
    if (!gate_up) return gate_up.error();
    L.w_gate = row_slice(*gate_up, 0, c.ffn_dim);
    L.w_up = row_slice(*gate_up, c.ffn_dim, c.ffn_dim);
    return true;
}

Result<const float*> bind_vector(const gguf::GgufFile& file, const std::string& name, int64_t n) {
    auto t = find_tensor(file, name);
    if (!t) return t.error();
    const gguf::TensorInfo& info = **t;
    if (info.n_elements() != static_cast<uint64_t>(n)) {
        return make_error("tensor '" + name + "' has shape " + shape_text(info) + ", expected [" + std::to_string(n) + "]");
    }
    if (info.type != DType::F32) {
        return make_error("tensor '" + name + "' must be f32, found " + std::string(dtype_name(info.type)));
    }
    if (reinterpret_cast<uintptr_t>(info.data) % alignof(float) != 0) {
        return make_error("tensor '" + name + "' is not aligned");
    }
    return reinterpret_cast<const float*>(info.data);
}

}  // namespace

void use_kernels_up_to(ModelWeights& weights, kernels::Isa cap) {
    auto use = [cap](Matrix& m) {
        if (m.data != nullptr) m.kernels = kernels::kernels_up_to(m.type, cap);
    };
    use(weights.token_embedding);
    use(weights.output);
    for (LayerWeights& L : weights.layers) for_each_matrix(L, use);
}

Result<ModelWeights> bind_weights(const gguf::GgufFile& file, ModelConfig& c) {
    ModelWeights w;
    auto embd = bind_matrix(file, "token_embd.weight", c.dim, 0);
    if (!embd) return embd.error();
    w.token_embedding = *embd;
    if (w.token_embedding.rows <= 0 || w.token_embedding.rows > (1 << 22)) return make_error("vocabulary size out of range");
    c.n_vocab = static_cast<int>(w.token_embedding.rows);

    auto out_norm = bind_vector(file, "output_norm.weight", c.dim);
    if (!out_norm) return out_norm.error();
    w.output_norm = *out_norm;
    if (file.tensor("output.weight")) {
        auto out = bind_matrix(file, "output.weight", c.dim, c.n_vocab);
        if (!out) return out.error();
        w.output = *out;
    } else {
        w.output = w.token_embedding;  // tied embeddings
    }

    for (auto [name, dst] : {std::pair{"rope_factors_long.weight", &w.rope_factors_long},
                             std::pair{"rope_factors_short.weight", &w.rope_factors_short}}) {
        if (!file.tensor(name)) continue;
        auto factors = bind_vector(file, name, c.rope_dims / 2);
        if (!factors) return factors.error();
        for (int i = 0; i < c.rope_dims / 2; ++i) {
            if (!((*factors)[i] > 0)) return make_error(std::string("tensor '") + name + "' has a factor that is not positive");
        }
        *dst = *factors;
    }

    for (int l = 0; l < c.n_layers; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        LayerWeights L;
        struct MatrixSpec {
            Matrix* dst;
            const char* name;
            int64_t cols, rows;
        };
        const bool moe = c.n_experts > 0;
        const MatrixSpec specs[] = {
            {&L.wq, "attn_q.weight", c.dim, c.q_dim()},       {&L.wk, "attn_k.weight", c.dim, c.kv_dim()},
            {&L.wv, "attn_v.weight", c.dim, c.kv_dim()},      {&L.wo, "attn_output.weight", c.q_dim(), c.dim},
            {&L.w_gate, "ffn_gate.weight", c.dim, c.ffn_dim}, {&L.w_up, "ffn_up.weight", c.dim, c.ffn_dim},
            {&L.w_down, "ffn_down.weight", c.ffn_dim, c.dim}, {&L.router, "ffn_gate_inp.weight", c.dim, c.n_experts},
        };
        if (c.fused_qkv) {
            auto fused = bind_fused(file, p, c, L);
            if (!fused) return fused.error();
        }
        for (const MatrixSpec& s : specs) {
            const bool dense_ffn = s.dst == &L.w_gate || s.dst == &L.w_up || s.dst == &L.w_down;
            if ((moe && dense_ffn) || (!moe && s.dst == &L.router)) continue;
            const bool fused = s.dst == &L.wq || s.dst == &L.wk || s.dst == &L.wv || s.dst == &L.w_gate || s.dst == &L.w_up;
            if (c.fused_qkv && fused) continue;
            auto m = bind_matrix(file, p + s.name, s.cols, s.rows);
            if (!m) return m.error();
            *s.dst = *m;
        }
        if (moe) {
            struct ExpertSpec {
                std::vector<Matrix>* dst;
                const char* name;
                int64_t cols, rows;
            };
            const ExpertSpec experts[] = {{&L.expert_gate, "ffn_gate_exps.weight", c.dim, c.expert_ffn_dim},
                                          {&L.expert_up, "ffn_up_exps.weight", c.dim, c.expert_ffn_dim},
                                          {&L.expert_down, "ffn_down_exps.weight", c.expert_ffn_dim, c.dim}};
            for (const ExpertSpec& s : experts) {
                auto m = bind_experts(file, p + s.name, s.cols, s.rows, c.n_experts);
                if (!m) return m.error();
                *s.dst = std::move(*m);
            }
        }
        auto an = bind_vector(file, p + "attn_norm.weight", c.dim);
        if (!an) return an.error();
        L.attn_norm = *an;
        auto fn = bind_vector(file, p + "ffn_norm.weight", c.dim);
        if (!fn) return fn.error();
        L.ffn_norm = *fn;
        if (c.qkv_bias) {
            auto bq = bind_vector(file, p + "attn_q.bias", c.q_dim());
            if (!bq) return bq.error();
            auto bk = bind_vector(file, p + "attn_k.bias", c.kv_dim());
            if (!bk) return bk.error();
            auto bv = bind_vector(file, p + "attn_v.bias", c.kv_dim());
            if (!bv) return bv.error();
            L.bq = *bq;
            L.bk = *bk;
            L.bv = *bv;
        }
        if (c.post_norms) {
            auto pa = bind_vector(file, p + "post_attention_norm.weight", c.dim);
            if (!pa) return pa.error();
            auto pf = bind_vector(file, p + "post_ffw_norm.weight", c.dim);
            if (!pf) return pf.error();
            L.post_attn_norm = *pa;
            L.post_ffn_norm = *pf;
        }
        if (c.qk_norm) {
            auto qn = bind_vector(file, p + "attn_q_norm.weight", c.head_dim);
            if (!qn) return qn.error();
            auto kn = bind_vector(file, p + "attn_k_norm.weight", c.head_dim);
            if (!kn) return kn.error();
            L.q_norm = *qn;
            L.k_norm = *kn;
        }
        w.layers.push_back(L);
    }
    return w;
}

}  // namespace clawbot
