// Gemma 2 against an independent statement of its forward pass: a small
// random-weight gemma2 file, written here, and the same model computed
// naively in double precision below (no reference file of this architecture
// exists in ../shared). The soft caps are set low enough that they bite, the
// window shorter than the prompt, so each of the architecture's features
// moves the logits by far more than the tolerance, and the test checks that
// the naive pass without any one of them is out of it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/model/model.h"
#include "support/model_runner.h"
#include "support/test_support.h"

namespace clawbot {
namespace {

constexpr int kDim = 128, kHeads = 4, kKvHeads = 2, kHeadDim = 64, kFfn = 192, kLayers = 4, kWindow = 4;
constexpr float kAttnCap = 1.5f, kFinalCap = 4.0f, kEps = 1e-6f, kRopeBase = 10000.0f;

using Matrix = std::vector<float>;  // rows x cols, row-major

struct Layer {
    Matrix attn_norm, wq, wk, wv, wo, post_attn_norm, ffn_norm, gate, up, down, post_ffw_norm;
};

struct Weights {
    int n_vocab = 0;
    Matrix embedding, output_norm;
    std::vector<Layer> layers;
};

// What the naive pass leaves out, to show the test would notice.
struct Variant {
    bool attn_cap = true, final_cap = true, window = true, post_norms = true;
};

Matrix random_matrix(std::mt19937& rng, size_t n, float stddev, float mean = 0.0f) {
    std::normal_distribution<float> nd(mean, stddev);
    Matrix m(n);
    for (float& x : m) x = nd(rng);
    return m;
}

std::vector<double> rms_norm(const std::vector<double>& x, const Matrix& w) {
    double sum = 0;
    for (double v : x) sum += v * v;
    const double scale = 1.0 / std::sqrt(sum / static_cast<double>(x.size()) + kEps);
    std::vector<double> out(x.size());
    for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] * scale * w[i];
    return out;
}

std::vector<double> matvec(const Matrix& m, const std::vector<double>& x, size_t rows) {
    std::vector<double> out(rows, 0.0);
    for (size_t r = 0; r < rows; ++r) {
        for (size_t c = 0; c < x.size(); ++c) out[r] += static_cast<double>(m[r * x.size() + c]) * x[c];
    }
    return out;
}

// NeoX rotation of each head's element i with i + head_dim / 2.
void rope(std::vector<double>& x, int n_heads, int pos) {
    const int half = kHeadDim / 2;
    for (int h = 0; h < n_heads; ++h) {
        for (int i = 0; i < half; ++i) {
            const double theta = pos * std::pow(static_cast<double>(kRopeBase), -2.0 * i / kHeadDim);
            double& a = x[static_cast<size_t>(h * kHeadDim + i)];
            double& b = x[static_cast<size_t>(h * kHeadDim + i + half)];
            const double ra = a * std::cos(theta) - b * std::sin(theta), rb = a * std::sin(theta) + b * std::cos(theta);
            a = ra;
            b = rb;
        }
    }
}

double gelu(double x) { return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x * x * x))); }

std::vector<std::vector<float>> naive_logits(const Weights& w, const std::vector<TokenId>& prompt, Variant v) {
    const size_t n = prompt.size(), q_dim = kHeads * kHeadDim, kv_dim = kKvHeads * kHeadDim;
    std::vector<std::vector<double>> x(n), keys(n), values(n);
    for (size_t t = 0; t < n; ++t) {
        for (int i = 0; i < kDim; ++i) {
            x[t].push_back(w.embedding[static_cast<size_t>(prompt[t]) * kDim + i] * std::sqrt(static_cast<double>(kDim)));
        }
    }
    for (int l = 0; l < kLayers; ++l) {
        const Layer& L = w.layers[static_cast<size_t>(l)];
        const bool local = v.window && l % 2 == 0;  // even layers see a window, odd ones everything
        std::vector<std::vector<double>> queries(n);
        for (size_t t = 0; t < n; ++t) {
            const auto h = rms_norm(x[t], L.attn_norm);
            queries[t] = matvec(L.wq, h, q_dim);
            keys[t] = matvec(L.wk, h, kv_dim);
            values[t] = matvec(L.wv, h, kv_dim);
            rope(queries[t], kHeads, static_cast<int>(t));
            rope(keys[t], kKvHeads, static_cast<int>(t));
            for (double& q : queries[t]) q /= std::sqrt(static_cast<double>(kHeadDim));
        }
        for (size_t t = 0; t < n; ++t) {
            std::vector<double> att(q_dim, 0.0);
            const size_t first = local && t + 1 > kWindow ? t + 1 - kWindow : 0;
            for (int h = 0; h < kHeads; ++h) {
                const size_t kv = static_cast<size_t>(h / (kHeads / kKvHeads)) * kHeadDim;
                std::vector<double> scores;
                for (size_t j = first; j <= t; ++j) {
                    double s = 0;
                    for (int i = 0; i < kHeadDim; ++i) s += queries[t][static_cast<size_t>(h * kHeadDim + i)] * keys[j][kv + i];
                    if (v.attn_cap) s = kAttnCap * std::tanh(s / kAttnCap);
                    scores.push_back(s);
                }
                const double max = *std::max_element(scores.begin(), scores.end());
                double sum = 0;
                for (double& s : scores) sum += (s = std::exp(s - max));
                for (size_t j = first; j <= t; ++j) {
                    for (int i = 0; i < kHeadDim; ++i) {
                        att[static_cast<size_t>(h * kHeadDim + i)] += scores[j - first] / sum * values[j][kv + i];
                    }
                }
            }
            auto o = matvec(L.wo, att, kDim);
            if (v.post_norms) o = rms_norm(o, L.post_attn_norm);
            for (int i = 0; i < kDim; ++i) x[t][i] += o[i];
        }
        for (size_t t = 0; t < n; ++t) {
            const auto h = rms_norm(x[t], L.ffn_norm);
            auto g = matvec(L.gate, h, kFfn);
            const auto u = matvec(L.up, h, kFfn);
            for (int i = 0; i < kFfn; ++i) g[i] = gelu(g[i]) * u[i];
            auto d = matvec(L.down, g, kDim);
            if (v.post_norms) d = rms_norm(d, L.post_ffw_norm);
            for (int i = 0; i < kDim; ++i) x[t][i] += d[i];
        }
    }
    std::vector<std::vector<float>> logits(n);
    for (size_t t = 0; t < n; ++t) {
        const auto h = rms_norm(x[t], w.output_norm);
        for (double z : matvec(w.embedding, h, static_cast<size_t>(w.n_vocab))) {  // tied output
            logits[t].push_back(static_cast<float>(v.final_cap ? kFinalCap * std::tanh(z / kFinalCap) : z));
        }
    }
    return logits;
}

class Gemma2Forward : public testing::Test {
protected:
    void SetUp() override {
        dir_ = test::make_temp_dir();
        std::mt19937 rng(2024);
        auto vocab = gguf::GgufFile::open(test::shared_path("models/stories260K.gguf"));
        ASSERT_TRUE(vocab.ok()) << vocab.error().message;
        w_.n_vocab = static_cast<int>((*vocab)->get_array("tokenizer.ggml.tokens")->count);
        w_.embedding = random_matrix(rng, static_cast<size_t>(w_.n_vocab) * kDim, 0.08f);
        w_.output_norm = random_matrix(rng, kDim, 0.1f, 1.0f);
        const size_t q_dim = kHeads * kHeadDim, kv_dim = kKvHeads * kHeadDim;
        const float in = 1.0f / std::sqrt(static_cast<float>(kDim));
        for (int l = 0; l < kLayers; ++l) {
            Layer L;
            L.attn_norm = random_matrix(rng, kDim, 0.1f, 1.0f);
            L.wq = random_matrix(rng, q_dim * kDim, 3.0f * in);  // scores of several units: the cap bites
            L.wk = random_matrix(rng, kv_dim * kDim, 3.0f * in);
            L.wv = random_matrix(rng, kv_dim * kDim, in);
            L.wo = random_matrix(rng, kDim * q_dim, 1.0f / std::sqrt(static_cast<float>(q_dim)));
            L.post_attn_norm = random_matrix(rng, kDim, 0.1f, 1.0f);
            L.ffn_norm = random_matrix(rng, kDim, 0.1f, 1.0f);
            L.gate = random_matrix(rng, kFfn * kDim, in);
            L.up = random_matrix(rng, kFfn * kDim, in);
            L.down = random_matrix(rng, kDim * kFfn, 1.0f / std::sqrt(static_cast<float>(kFfn)));
            L.post_ffw_norm = random_matrix(rng, kDim, 0.1f, 1.0f);
            w_.layers.push_back(std::move(L));
        }
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // cols 0: a vector.
    static void add(gguf::GgufWriter& writer, const std::string& name, const Matrix& m, int cols) {
        std::vector<uint8_t> bytes(m.size() * sizeof(float));
        std::memcpy(bytes.data(), m.data(), bytes.size());
        std::vector<uint64_t> ne = {static_cast<uint64_t>(cols > 0 ? cols : static_cast<int>(m.size()))};
        if (cols > 0) ne.push_back(m.size() / static_cast<size_t>(cols));
        writer.add_tensor(name, DType::F32, ne, std::move(bytes));
    }

    // The file of w_, without layer missing_layer's post-FFN norm.
    std::string write(int missing_layer = -1) {
        auto vocab = gguf::GgufFile::open(test::shared_path("models/stories260K.gguf"));
        EXPECT_TRUE(vocab.ok());
        gguf::GgufWriter writer;
        for (const auto& [key, value] : (*vocab)->metadata()) {
            if (key.substr(0, 10) == "tokenizer.") writer.copy_value(std::string(key), value);
        }
        writer.set_string("general.architecture", "gemma2");
        writer.set_u32("gemma2.context_length", 256);
        writer.set_u32("gemma2.embedding_length", kDim);
        writer.set_u32("gemma2.block_count", kLayers);
        writer.set_u32("gemma2.feed_forward_length", kFfn);
        writer.set_u32("gemma2.attention.head_count", kHeads);
        writer.set_u32("gemma2.attention.head_count_kv", kKvHeads);
        writer.set_u32("gemma2.attention.key_length", kHeadDim);
        writer.set_u32("gemma2.attention.value_length", kHeadDim);
        writer.set_u32("gemma2.attention.sliding_window", kWindow);
        writer.set_f32("gemma2.attention.layer_norm_rms_epsilon", kEps);
        writer.set_f32("gemma2.rope.freq_base", kRopeBase);
        writer.set_f32("gemma2.attn_logit_softcapping", kAttnCap);
        writer.set_f32("gemma2.final_logit_softcapping", kFinalCap);
        add(writer, "token_embd.weight", w_.embedding, kDim);  // tied: no output.weight, as Gemma files have
        add(writer, "output_norm.weight", w_.output_norm, 0);
        const int q_dim = kHeads * kHeadDim;
        for (int l = 0; l < kLayers; ++l) {
            const Layer& L = w_.layers[static_cast<size_t>(l)];
            const std::string p = "blk." + std::to_string(l) + ".";
            add(writer, p + "attn_norm.weight", L.attn_norm, 0);
            add(writer, p + "attn_q.weight", L.wq, kDim);
            add(writer, p + "attn_k.weight", L.wk, kDim);
            add(writer, p + "attn_v.weight", L.wv, kDim);
            add(writer, p + "attn_output.weight", L.wo, q_dim);
            add(writer, p + "post_attention_norm.weight", L.post_attn_norm, 0);
            add(writer, p + "ffn_norm.weight", L.ffn_norm, 0);
            add(writer, p + "ffn_gate.weight", L.gate, kDim);
            add(writer, p + "ffn_up.weight", L.up, kDim);
            add(writer, p + "ffn_down.weight", L.down, kFfn);
            if (l != missing_layer) add(writer, p + "post_ffw_norm.weight", L.post_ffw_norm, 0);
        }
        const std::string path = dir_ + "/gemma2-" + std::to_string(missing_layer) + ".gguf";
        EXPECT_TRUE(writer.write(path).ok());
        return path;
    }

    std::string dir_;
    Weights w_;
};

// Largest |a - b| over all positions and logits.
float max_difference(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
    float worst = 0;
    for (size_t t = 0; t < a.size(); ++t) {
        for (size_t i = 0; i < a[t].size(); ++i) worst = std::max(worst, std::abs(a[t][i] - b[t][i]));
    }
    return worst;
}

TEST_F(Gemma2Forward, ReadsItsHyperParameters) {
    auto model = Model::load(write());
    ASSERT_TRUE(model.ok()) << model.error().message;
    const ModelConfig& c = (*model)->config();
    EXPECT_EQ(c.arch, Architecture::Gemma2);
    EXPECT_FLOAT_EQ(c.attn_softcap, kAttnCap);
    EXPECT_FLOAT_EQ(c.final_softcap, kFinalCap);
    EXPECT_EQ(c.sliding_window, kWindow);
    EXPECT_TRUE(c.is_local_layer(0));
    EXPECT_FALSE(c.is_local_layer(1));
    EXPECT_TRUE(c.is_local_layer(2));
    EXPECT_FLOAT_EQ(c.query_scale, 1.0f / 8.0f);
    EXPECT_FLOAT_EQ(c.rope_base_local, kRopeBase);
    EXPECT_FALSE(c.qk_norm);
}

TEST_F(Gemma2Forward, LogitsMatchTheNaiveForwardPass) {
    auto model = Model::load(write());
    ASSERT_TRUE(model.ok()) << model.error().message;
    ThreadPool pool(2);
    std::vector<TokenId> prompt = {1};
    for (int i = 1; i < 12; ++i) prompt.push_back(static_cast<TokenId>(3 + (i * 97) % (w_.n_vocab - 3)));
    const auto ours = test::logits_at_every_position(**model, pool, prompt);
    const auto want = naive_logits(w_, prompt, {});
    ASSERT_EQ(ours.size(), want.size());
    // F16 queries, keys, values and GELU table against doubles.
    const float tolerance = 0.02f;
    EXPECT_LT(max_difference(ours, want), tolerance);
    for (size_t t = 0; t < ours.size(); ++t) {
        EXPECT_GE(test::cosine_similarity(ours[t], want[t]), 0.9999) << "position " << t;
        for (float z : ours[t]) ASSERT_LT(std::abs(z), kFinalCap) << "position " << t;
    }
    // Each feature matters here by far more than the tolerance.
    for (Variant without : {Variant{.attn_cap = false}, Variant{.final_cap = false}, Variant{.window = false},
                            Variant{.post_norms = false}}) {
        EXPECT_GT(max_difference(naive_logits(w_, prompt, without), want), 10 * tolerance);
    }
}

TEST_F(Gemma2Forward, MissingPostNormIsRefusedByName) {
    auto model = Model::load(write(2));
    ASSERT_FALSE(model.ok());
    EXPECT_NE(model.error().message.find("blk.2.post_ffw_norm.weight"), std::string::npos) << model.error().message;
}

}  // namespace
}  // namespace clawbot
