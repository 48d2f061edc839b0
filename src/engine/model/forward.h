#pragma once
// forward(batch): one transformer pass over tokens of several sequences,
// each with its position and block table in the paged KV cache. A single
// sequence is a batch of one; there is no other path.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/result.h"
#include "engine/kv/block_pool.h"
#include "engine/kv/kv_storage.h"
#include "engine/model/matmul.h"
#include "engine/model/model.h"
#include "engine/model/ops.h"
#include "engine/tensor/thread_pool.h"

namespace clawbot {

struct BatchToken {
    TokenId token = 0;
    int32_t pos = 0;      // position within its sequence
    int32_t seq = 0;      // index into Batch::tables
    bool logits = false;  // return logits for this token
    bool hidden = false;  // return its final hidden state (after the output norm), for embeddings
};

struct Batch {
    std::vector<BatchToken> tokens;
    // Block table of each sequence; must cover every position in the batch.
    std::vector<const BlockTable*> tables;
    // With a window KV storage: each sequence's window table, which must
    // hold every position a batch token's window reads.
    std::vector<const BlockTable*> window_tables;

    void clear() {
        tokens.clear();
        tables.clear();
        window_tables.clear();
    }
};

class ForwardPass {
public:
    // Scratch for up to max_tokens tokens per batch and attention over up to
    // max_context positions, allocated here once. Without window_kv every
    // layer's K/V lives in `kv`; with it, the sliding-window layers' K/V
    // live there (in layer order, addressed by Batch::window_tables) and
    // `kv` holds only the other layers'.
    ForwardPass(const Model& model, KvStorage& kv, ThreadPool& pool, int max_tokens, int max_context,
                KvStorage* window_kv = nullptr);
    ~ForwardPass();

    // Writes K/V of every batch token into its sequence's blocks and returns
    // n_vocab logits per token marked `logits`, in batch order, into `logits`
    // (which must hold that many rows), and `dim` floats per token marked
    // `hidden` into `hidden` likewise.
    Result<bool> forward(const Batch& batch, std::span<float> logits, std::span<float> hidden = {});

    int max_tokens() const { return max_tokens_; }

private:
    struct Scratch;
    // Where one layer's K/V live.
    struct LayerKv {
        KvStorage* storage = nullptr;
        int layer = 0;          // its index in that storage
        bool windowed = false;  // addressed by the batch's window tables
    };
    Result<bool> validate(const Batch& batch, size_t logits_size, size_t hidden_size) const;
    void embed(const Batch& batch);
    void attention_block(const Batch& batch, int layer);
    void attend(const Batch& batch, int layer);
    void ffn_block(int n_tokens, int layer);
    void moe_ffn(int n_tokens, const LayerWeights& layer);
    void activate(float* gate, const float* up, int64_t total);
    void gated_ffn(const Matrix& w_gate, const Matrix& w_up, const Matrix& w_down, const float* x, int n_tokens,
                   float* out);
    void output_logits(const Batch& batch, float* logits);
    void output_hidden(const Batch& batch, float* hidden);

    const Model& model_;
    const ModelConfig& cfg_;
    KvStorage& kv_;
    KvStorage* window_kv_;
    std::vector<LayerKv> layer_kv_;  // by model layer
    ThreadPool& pool_;
    int max_tokens_;
    int max_context_;
    MatmulRunner matmul_;
    ops::RopeFrequencies rope_;        // global layers
    ops::RopeFrequencies rope_local_;  // sliding-window layers
    std::unique_ptr<Scratch> s_;
};

}  // namespace clawbot
