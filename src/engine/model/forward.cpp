#include "engine/model/forward.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/kv/window_span.h"
#include "engine/model/moe_routing.h"
#include "engine/model/ops.h"
#include "engine/tensor/activation.h"
#include "engine/tensor/attention.h"
#include "engine/tensor/f16_vector.h"
#include "engine/tensor/kernels.h"

namespace clawbot {

// Activations for up to max_tokens tokens, row-major, one row per token.
struct ForwardPass::Scratch {
    std::vector<float> x;       // residual stream      [T][dim]
    std::vector<float> xn;      // normalized input     [T][max(dim, q_dim)]
    std::vector<float> q;       // queries              [T][q_dim]
    std::vector<float> k;       // keys                 [T][kv_dim]
    std::vector<float> v;       // values               [T][kv_dim]
    std::vector<float> att;     // attention output     [T][q_dim]
    std::vector<float> proj;    // attn/ffn projection  [T][dim]
    std::vector<float> gate;    // ffn gate             [T][ffn]
    std::vector<float> up;      // ffn up               [T][ffn]
    std::vector<float> rope;    // cos/sin per token    [T][rope_dims]
    std::vector<float> rope_local;  // ... for sliding-window layers (gemma3)
    std::vector<uint16_t> acc;  // per thread           [threads][head_dim]
    std::vector<int32_t> logit_rows;  // batch indexes of tokens that want logits
    // Mixture of experts (empty for dense models)
    std::vector<float> router;      // router logits                       [T][n_experts]
    std::vector<float> expert_in;   // each expert's tokens, expert by expert [T*used][dim]
    std::vector<float> expert_gate; // ... their gate and up projections    [T*used][expert_ffn]
    std::vector<float> expert_up;
    std::vector<float> expert_out;  // ... and their outputs                [T*used][dim]
    std::vector<MatmulTarget> expert_targets;  // [2 * n_experts]
    std::vector<MatmulGroup> expert_groups;    // [n_experts]
    std::unique_ptr<MoeRouting> routing;
};

ForwardPass::ForwardPass(const Model& model, KvStorage& kv, ThreadPool& pool, int max_tokens, int max_context,
                         KvStorage* window_kv)
    : model_(model),
      cfg_(model.config()),
      kv_(kv),
      window_kv_(window_kv),
      pool_(pool),
      max_tokens_(max_tokens),
      max_context_(max_context),
      // A mixture-of-experts layer quantizes each token's input once per
      // expert it chose, all experts in one call.
      matmul_(pool, max_tokens * std::max(1, cfg_.n_experts_used),
              std::max({cfg_.dim, cfg_.q_dim(), cfg_.ffn_dim, cfg_.expert_ffn_dim}), std::max(1, cfg_.n_experts)),
      s_(std::make_unique<Scratch>()) {
    int n_full = 0, n_windowed = 0;
    for (int l = 0; l < cfg_.n_layers; ++l) {
        if (window_kv_ && cfg_.is_local_layer(l)) {
            layer_kv_.push_back({window_kv_, n_windowed++, true});
        } else {
            layer_kv_.push_back({&kv_, n_full++, false});
        }
    }
    const size_t T = static_cast<size_t>(max_tokens);
    s_->x.resize(T * cfg_.dim);
    s_->xn.resize(T * std::max(cfg_.dim, cfg_.q_dim()));
    s_->q.resize(T * cfg_.q_dim());
    s_->k.resize(T * cfg_.kv_dim());
    s_->v.resize(T * cfg_.kv_dim());
    s_->att.resize(T * cfg_.q_dim());
    s_->proj.resize(T * cfg_.dim);
    s_->gate.resize(T * cfg_.ffn_dim);
    s_->up.resize(T * cfg_.ffn_dim);
    if (cfg_.n_experts > 0) {
        const size_t rows = T * static_cast<size_t>(cfg_.n_experts_used);
        s_->router.resize(T * cfg_.n_experts);
        s_->expert_in.resize(rows * cfg_.dim);
        s_->expert_gate.resize(rows * cfg_.expert_ffn_dim);
        s_->expert_up.resize(rows * cfg_.expert_ffn_dim);
        s_->expert_out.resize(rows * cfg_.dim);
        s_->expert_targets.resize(2 * static_cast<size_t>(cfg_.n_experts));
        s_->expert_groups.resize(static_cast<size_t>(cfg_.n_experts));
        s_->routing = std::make_unique<MoeRouting>(max_tokens, cfg_.n_experts, cfg_.n_experts_used);
    }
    s_->rope.resize(T * cfg_.rope_dims);
    if (cfg_.sliding_window > 0) s_->rope_local.resize(T * cfg_.rope_dims);
    s_->acc.resize(static_cast<size_t>(pool.size()) * static_cast<size_t>(cfg_.n_heads / cfg_.n_kv_heads) * cfg_.head_dim);  // >= what attend() uses
    s_->logit_rows.reserve(T);
    // LongRoPE: the long factors once the served context passes the
    // original one (as the reference chooses), else the short ones.
    const ModelWeights& w = model.weights();
    rope_.base = cfg_.rope_base;
    rope_.attn_factor = cfg_.rope_attn_factor;
    rope_.freq_scale = cfg_.rope_freq_scale;
    rope_local_.base = cfg_.rope_base_local;
    const int original = cfg_.rope_original_context > 0 ? cfg_.rope_original_context : cfg_.context_length;
    rope_.factors = max_context > original ? w.rope_factors_long : w.rope_factors_short;
}

ForwardPass::~ForwardPass() = default;

Result<bool> ForwardPass::validate(const Batch& batch, size_t logits_size, size_t hidden_size) const {
    const int n = static_cast<int>(batch.tokens.size());
    if (n == 0 || n > max_tokens_) return make_error("batch of " + std::to_string(n) + " tokens (limit " + std::to_string(max_tokens_) + ")");
    const int bs = kv_.layout().block_size;
    size_t n_logits = 0, n_hidden = 0;
    for (const BatchToken& t : batch.tokens) {
        if (t.token < 0 || t.token >= cfg_.n_vocab) return make_error("token id " + std::to_string(t.token) + " out of range");
        if (t.seq < 0 || static_cast<size_t>(t.seq) >= batch.tables.size()) return make_error("batch token names an unknown sequence");
        if (t.pos < 0 || t.pos >= max_context_) return make_error("position " + std::to_string(t.pos) + " beyond the context size");
        const BlockTable& table = *batch.tables[static_cast<size_t>(t.seq)];
        if (static_cast<size_t>(t.pos / bs) >= table.blocks.size()) return make_error("position " + std::to_string(t.pos) + " has no KV block");
        if (window_kv_) {
            // Its window's blocks run from the oldest position it reads to itself.
            const size_t seq = static_cast<size_t>(t.seq);
            const BlockTable* window = seq < batch.window_tables.size() ? batch.window_tables[seq] : nullptr;
            if (!window || static_cast<size_t>(t.pos / bs) >= window->blocks.size() ||
                window->blocks[static_cast<size_t>(window_start(t.pos, cfg_.sliding_window) / bs)] == kNoBlock) {
                return make_error("position " + std::to_string(t.pos) + " has no window KV block");
            }
        }
        n_logits += t.logits ? 1 : 0;
        n_hidden += t.hidden ? 1 : 0;
    }
    if (logits_size < n_logits * static_cast<size_t>(cfg_.n_vocab)) return make_error("logits buffer too small");
    if (hidden_size < n_hidden * static_cast<size_t>(cfg_.dim)) return make_error("hidden-state buffer too small");
    return true;
}

Result<bool> ForwardPass::forward(const Batch& batch, std::span<float> logits, std::span<float> hidden) {
    auto ok = validate(batch, logits.size(), hidden.size());
    if (!ok) return ok;
    const int n = static_cast<int>(batch.tokens.size());
    embed(batch);
    for (int t = 0; t < n; ++t) {
        const size_t at = static_cast<size_t>(t) * cfg_.rope_dims;
        ops::rope_angles(batch.tokens[t].pos, cfg_.rope_dims, rope_, s_->rope.data() + at);
        if (!s_->rope_local.empty()) ops::rope_angles(batch.tokens[t].pos, cfg_.rope_dims, rope_local_, s_->rope_local.data() + at);
    }
    for (int l = 0; l < cfg_.n_layers; ++l) {
        attention_block(batch, l);
        ffn_block(n, l);
    }
    output_hidden(batch, hidden.data());
    output_logits(batch, logits.data());
    return true;
}

void ForwardPass::embed(const Batch& batch) {
    const Matrix& e = model_.weights().token_embedding;
    const auto dequantize = kernels::kernels(e.type)->dequantize;
    for (size_t t = 0; t < batch.tokens.size(); ++t) {
        float* x = s_->x.data() + t * cfg_.dim;
        dequantize(e.data + static_cast<size_t>(batch.tokens[t].token) * e.row_stride, x, cfg_.dim);
        if (cfg_.embed_scaled) {
            const float scale = std::sqrt(static_cast<float>(cfg_.dim));
            for (int i = 0; i < cfg_.dim; ++i) x[i] *= scale;
        }
    }
}

void ForwardPass::attention_block(const Batch& batch, int layer) {
    const LayerWeights& L = model_.weights().layers[static_cast<size_t>(layer)];
    const int n = static_cast<int>(batch.tokens.size());
    const int dim = cfg_.dim, q_dim = cfg_.q_dim(), kv_dim = cfg_.kv_dim();
    for (int t = 0; t < n; ++t) {
        ops::rms_norm(s_->x.data() + static_cast<size_t>(t) * dim, L.attn_norm, s_->xn.data() + static_cast<size_t>(t) * dim, dim, cfg_.rms_eps);
    }
    const MatmulTarget qkv[] = {{&L.wq, s_->q.data(), static_cast<size_t>(q_dim)},
                                {&L.wk, s_->k.data(), static_cast<size_t>(kv_dim)},
                                {&L.wv, s_->v.data(), static_cast<size_t>(kv_dim)}};
    matmul_.run(qkv, s_->xn.data(), static_cast<size_t>(dim), n);

    const int bs = kv_.layout().block_size;
    const LayerKv& where = layer_kv_[static_cast<size_t>(layer)];
    for (int t = 0; t < n; ++t) {
        float* q = s_->q.data() + static_cast<size_t>(t) * q_dim;
        float* k = s_->k.data() + static_cast<size_t>(t) * kv_dim;
        float* v = s_->v.data() + static_cast<size_t>(t) * kv_dim;
        if (L.bq) {
            ops::add(q, L.bq, q_dim);
            ops::add(k, L.bk, kv_dim);
            ops::add(v, L.bv, kv_dim);
        }
        if (L.q_norm) {
            for (int h = 0; h < cfg_.n_heads; ++h) {
                float* head = q + static_cast<size_t>(h) * cfg_.head_dim;
                ops::rms_norm(head, L.q_norm, head, cfg_.head_dim, cfg_.rms_eps);
            }
            for (int h = 0; h < cfg_.n_kv_heads; ++h) {
                float* head = k + static_cast<size_t>(h) * cfg_.head_dim;
                ops::rms_norm(head, L.k_norm, head, cfg_.head_dim, cfg_.rms_eps);
            }
        }
        const std::vector<float>& angles = cfg_.is_local_layer(layer) ? s_->rope_local : s_->rope;
        const float* cs = angles.data() + static_cast<size_t>(t) * cfg_.rope_dims;
        ops::apply_rope(q, cfg_.n_heads, cfg_.head_dim, cfg_.rope_dims, cfg_.rope_style, cs);
        ops::apply_rope(k, cfg_.n_kv_heads, cfg_.head_dim, cfg_.rope_dims, cfg_.rope_style, cs);
        if (cfg_.query_scale > 0) {
            for (int i = 0; i < q_dim; ++i) q[i] *= cfg_.query_scale;
        }
        // Store this token's K/V first: later tokens of the same sequence in
        // this batch attend to it.
        const BatchToken& bt = batch.tokens[static_cast<size_t>(t)];
        const BlockTable& table = *(where.windowed ? batch.window_tables : batch.tables)[static_cast<size_t>(bt.seq)];
        const BlockId block = table.blocks[static_cast<size_t>(bt.pos / bs)];
        kernels::f32_to_f16_row(k, where.storage->key(where.layer, block, bt.pos % bs), kv_dim);
        kernels::f32_to_f16_row(v, where.storage->value(where.layer, block, bt.pos % bs), kv_dim);
    }
    attend(batch, layer);
    const MatmulTarget out[] = {{&L.wo, s_->proj.data(), static_cast<size_t>(dim)}};
    matmul_.run(out, s_->att.data(), static_cast<size_t>(q_dim), n);
    if (L.post_attn_norm) {
        for (int t = 0; t < n; ++t) {
            float* p = s_->proj.data() + static_cast<size_t>(t) * dim;
            ops::rms_norm(p, L.post_attn_norm, p, dim, cfg_.rms_eps);
        }
    }
    for (int t = 0; t < n; ++t) ops::add(s_->x.data() + static_cast<size_t>(t) * dim, s_->proj.data() + static_cast<size_t>(t) * dim, dim);
}

namespace {

// Query heads that go through the KV cache together; a larger group (multi-
// query attention) takes several passes.
constexpr int kHeadsPerPass = 16;

struct AttendJob {
    const Batch* batch;
    const KvStorage* kv;                           // where this layer's K/V live
    const std::vector<const BlockTable*>* tables;  // ... and the batch's tables into it
    const ModelConfig* cfg;
    int layer;     // the model's layer
    int kv_layer;  // its index in *kv
    const float* q;
    float* out;
    uint16_t* acc;  // per thread: head_dim F16 accumulators for each head of a KV group
};

// Causal attention of the query heads that share KV head `kv_head`, for one
// token, over its sequence's cache: each cached position's K and V rows are
// read once for the whole group, a KV block at a time. The arithmetic is the
// reference's CPU flash attention: the query is rounded to F16 like the
// cache, the softmax is computed online, and the weighted sum of values is
// accumulated in F16. Matching that rounding makes our logits agree with the
// reference to the last digit on the conformance models, instead of
// drifting by float noise.
void attend_group(const AttendJob& job, int t, int kv_head, uint16_t* acc) {
    const ModelConfig& c = *job.cfg;
    const BatchToken& bt = job.batch->tokens[static_cast<size_t>(t)];
    const BlockTable& table = *(*job.tables)[static_cast<size_t>(bt.seq)];
    const int bs = job.kv->layout().block_size;
    const int group = c.n_heads / c.n_kv_heads;
    // Queries come pre-scaled when the model says so (gemma, phi3); a
    // soft cap divides the scale, as in the reference's flash attention.
    float scale = c.query_scale > 0 ? 1.0f : 1.0f / std::sqrt(static_cast<float>(c.head_dim));
    if (c.attn_softcap > 0) scale /= c.attn_softcap;
    // A sliding-window layer sees the last `sliding_window` positions, itself included.
    const int first_pos = c.is_local_layer(job.layer) ? window_start(bt.pos, c.sliding_window) : 0;
    const size_t offset = static_cast<size_t>(kv_head) * c.head_dim;
    const size_t stride = static_cast<size_t>(c.kv_dim());
    for (int first_head = 0; first_head < group; first_head += kHeadsPerPass) {
        const int n_heads = std::min(kHeadsPerPass, group - first_head);
        kernels::HeadState heads[kHeadsPerPass];
        float* out[kHeadsPerPass];
        for (int g = 0; g < n_heads; ++g) {
            const int h = kv_head * group + first_head + g;
            const size_t at = static_cast<size_t>(t) * c.q_dim() + static_cast<size_t>(h) * c.head_dim;
            // The F16-rounded query goes in the output, which is only written at the end.
            out[g] = job.out + at;
            kernels::round_to_f16(job.q + at, out[g], c.head_dim);
            uint16_t* head_acc = acc + static_cast<size_t>(g) * c.head_dim;
            std::fill(head_acc, head_acc + c.head_dim, uint16_t{0});
            heads[g] = {out[g], head_acc, -INFINITY, 0.0f};
        }
        for (int first = first_pos; first <= bt.pos; first = (first / bs + 1) * bs) {
            const BlockId block = table.blocks[static_cast<size_t>(first / bs)];
            const int in_block = first % bs;
            const int n = std::min(bs - in_block, bt.pos + 1 - first);
            kernels::attend_positions(heads, n_heads, job.kv->key(job.kv_layer, block, in_block) + offset,
                                      job.kv->value(job.kv_layer, block, in_block) + offset, stride, n, c.head_dim, scale,
                                      c.attn_softcap);
        }
        for (int g = 0; g < n_heads; ++g) kernels::f16_to_f32_scaled(heads[g].acc, 1.0f / heads[g].sum, out[g], c.head_dim);
    }
}

}  // namespace

void ForwardPass::attend(const Batch& batch, int layer) {
    const LayerKv& where = layer_kv_[static_cast<size_t>(layer)];
    const auto* tables = where.windowed ? &batch.window_tables : &batch.tables;
    AttendJob job{&batch, where.storage, tables, &cfg_, layer, where.layer, s_->q.data(), s_->att.data(), s_->acc.data()};
    const AttendJob* job_ptr = &job;
    const int units = static_cast<int>(batch.tokens.size()) * cfg_.n_kv_heads;
    const size_t acc_per_thread = static_cast<size_t>(std::min(cfg_.n_heads / cfg_.n_kv_heads, kHeadsPerPass)) * cfg_.head_dim;
    pool_.run([job_ptr, units, acc_per_thread](int thread, int n_threads) {
        uint16_t* acc = job_ptr->acc + static_cast<size_t>(thread) * acc_per_thread;
        const int n_kv_heads = job_ptr->cfg->n_kv_heads;
        for (int u = units * thread / n_threads; u < units * (thread + 1) / n_threads; ++u) {
            attend_group(*job_ptr, u / n_kv_heads, u % n_kv_heads, acc);
        }
    });
}

void ForwardPass::ffn_block(int n, int layer) {
    const LayerWeights& L = model_.weights().layers[static_cast<size_t>(layer)];
    const int dim = cfg_.dim;
    for (int t = 0; t < n; ++t) {
        ops::rms_norm(s_->x.data() + static_cast<size_t>(t) * dim, L.ffn_norm, s_->xn.data() + static_cast<size_t>(t) * dim, dim, cfg_.rms_eps);
    }
    if (cfg_.n_experts > 0) {
        moe_ffn(n, L);
    } else {
        gated_ffn(L.w_gate, L.w_up, L.w_down, s_->xn.data(), n, s_->proj.data());
    }
    if (L.post_ffn_norm) {
        for (int t = 0; t < n; ++t) {
            float* p = s_->proj.data() + static_cast<size_t>(t) * dim;
            ops::rms_norm(p, L.post_ffn_norm, p, dim, cfg_.rms_eps);
        }
    }
    for (int t = 0; t < n; ++t) ops::add(s_->x.data() + static_cast<size_t>(t) * dim, s_->proj.data() + static_cast<size_t>(t) * dim, dim);
}

void ForwardPass::moe_ffn(int n, const LayerWeights& L) {
    const int dim = cfg_.dim;
    const auto ffn = static_cast<size_t>(cfg_.expert_ffn_dim);
    const MatmulTarget router[] = {{&L.router, s_->router.data(), static_cast<size_t>(cfg_.n_experts)}};
    matmul_.run(router, s_->xn.data(), static_cast<size_t>(dim), n);
    MoeRouting& routing = *s_->routing;
    routing.route(s_->router.data(), static_cast<size_t>(cfg_.n_experts), n);

    // Every chosen expert's rows, expert after expert: its tokens' inputs
    // gathered, then all experts' gate/up in one pass of the pool, one
    // activation pass, all downs in one more pass.
    int groups = 0, rows = 0;
    for (int e = 0; e < cfg_.n_experts; ++e) {
        const int m = routing.count(e);
        if (m == 0) continue;
        const ExpertSlot* slots = routing.slots(e);
        for (int i = 0; i < m; ++i) {
            std::copy_n(s_->xn.data() + static_cast<size_t>(slots[i].token) * dim, dim,
                        s_->expert_in.data() + static_cast<size_t>(rows + i) * dim);
        }
        const auto ex = static_cast<size_t>(e);
        MatmulTarget* targets = s_->expert_targets.data() + 2 * static_cast<size_t>(groups);
        targets[0] = {&L.expert_gate[ex], s_->expert_gate.data() + static_cast<size_t>(rows) * ffn, ffn};
        targets[1] = {&L.expert_up[ex], s_->expert_up.data() + static_cast<size_t>(rows) * ffn, ffn};
        s_->expert_groups[static_cast<size_t>(groups)] = {{targets, 2}, s_->expert_in.data() + static_cast<size_t>(rows) * dim,
                                                          static_cast<size_t>(dim), m};
        ++groups;
        rows += m;
    }
    matmul_.run_groups({s_->expert_groups.data(), static_cast<size_t>(groups)});
    activate(s_->expert_gate.data(), s_->expert_up.data(), static_cast<int64_t>(rows) * cfg_.expert_ffn_dim);
    groups = 0;
    rows = 0;
    for (int e = 0; e < cfg_.n_experts; ++e) {
        const int m = routing.count(e);
        if (m == 0) continue;
        MatmulTarget* target = s_->expert_targets.data() + static_cast<size_t>(groups);
        *target = {&L.expert_down[static_cast<size_t>(e)], s_->expert_out.data() + static_cast<size_t>(rows) * dim,
                   static_cast<size_t>(dim)};
        s_->expert_groups[static_cast<size_t>(groups)] = {{target, 1}, s_->expert_gate.data() + static_cast<size_t>(rows) * ffn, ffn, m};
        ++groups;
        rows += m;
    }
    matmul_.run_groups({s_->expert_groups.data(), static_cast<size_t>(groups)});

    std::fill(s_->proj.begin(), s_->proj.begin() + static_cast<std::ptrdiff_t>(n) * dim, 0.0f);
    rows = 0;
    for (int e = 0; e < cfg_.n_experts; ++e) {
        const ExpertSlot* slots = routing.slots(e);
        for (int i = 0; i < routing.count(e); ++i, ++rows) {
            float* out = s_->proj.data() + static_cast<size_t>(slots[i].token) * dim;
            const float* y = s_->expert_out.data() + static_cast<size_t>(rows) * dim;
            ops::add_scaled(out, y, slots[i].weight, dim);
        }
    }
}

// gate[i] = act(gate[i]) * up[i] for `total` elements, split over the pool in
// 64-byte-aligned pieces.
void ForwardPass::activate(float* gate, const float* up, int64_t total) {
    const auto activation = cfg_.gelu_ffn ? kernels::geglu : kernels::swiglu;
    pool_.run([gate, up, total, activation](int thread, int n_threads) {
        const int64_t units = (total + 15) / 16;
        const int64_t first = units * thread / n_threads * 16;
        const int64_t last = std::min(total, units * (thread + 1) / n_threads * 16);
        if (first < last) activation(gate + first, up + first, last - first);
    });
}

// out = down(silu(gate x) * up x) for n rows of x (stride dim).
void ForwardPass::gated_ffn(const Matrix& w_gate, const Matrix& w_up, const Matrix& w_down, const float* x, int n,
                            float* out) {
    const int dim = cfg_.dim;
    const auto ffn = static_cast<int>(w_gate.rows);
    const MatmulTarget gate_up[] = {{&w_gate, s_->gate.data(), static_cast<size_t>(ffn)},
                                    {&w_up, s_->up.data(), static_cast<size_t>(ffn)}};
    matmul_.run(gate_up, x, static_cast<size_t>(dim), n);
    // gate and up are n contiguous rows: one element-wise pass.
    activate(s_->gate.data(), s_->up.data(), static_cast<int64_t>(n) * ffn);
    const MatmulTarget down[] = {{&w_down, out, static_cast<size_t>(dim)}};
    matmul_.run(down, s_->gate.data(), static_cast<size_t>(ffn), n);
}

void ForwardPass::output_hidden(const Batch& batch, float* hidden) {
    const int dim = cfg_.dim;
    size_t row = 0;
    for (size_t t = 0; t < batch.tokens.size(); ++t) {
        if (!batch.tokens[t].hidden) continue;
        ops::rms_norm(s_->x.data() + t * dim, model_.weights().output_norm, hidden + row * dim, dim, cfg_.rms_eps);
        ++row;
    }
}

void ForwardPass::output_logits(const Batch& batch, float* logits) {
    // Only rows that asked for logits pay for the vocabulary projection.
    const int dim = cfg_.dim;
    int rows = 0;
    for (size_t t = 0; t < batch.tokens.size(); ++t) {
        if (!batch.tokens[t].logits) continue;
        ops::rms_norm(s_->x.data() + t * dim, model_.weights().output_norm, s_->xn.data() + static_cast<size_t>(rows) * dim, dim, cfg_.rms_eps);
        ++rows;
    }
    if (rows == 0) return;
    const MatmulTarget out[] = {{&model_.weights().output, logits, static_cast<size_t>(cfg_.n_vocab)}};
    matmul_.run(out, s_->xn.data(), static_cast<size_t>(dim), rows);
    if (cfg_.final_softcap > 0) {
        // One tanh per vocabulary entry (256K for gemma2) and row: split over the pool.
        const int64_t total = static_cast<int64_t>(rows) * cfg_.n_vocab;
        const float cap = cfg_.final_softcap;
        pool_.run([logits, total, cap](int thread, int n_threads) {
            const int64_t first = total * thread / n_threads, last = total * (thread + 1) / n_threads;
            kernels::softcap(logits + first, last - first, cap);
        });
    }
}

}  // namespace clawbot
