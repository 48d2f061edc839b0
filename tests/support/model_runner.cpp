#include "support/model_runner.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace clawbot::test {

std::vector<std::vector<float>> logits_at_every_position(const Model& model, ThreadPool& pool,
                                                         const std::vector<TokenId>& prompt, int slice) {
    constexpr int kBlock = 16;
    const int n = static_cast<int>(prompt.size());
    const int n_blocks = (n + kBlock - 1) / kBlock;
    const int step = slice > 0 ? slice : n;
    BlockPool blocks(n_blocks);
    KvStorage kv(KvLayout{model.config().n_layers, model.config().kv_dim(), kBlock, n_blocks});
    ForwardPass fwd(model, kv, pool, step, n);
    BlockTable table;
    table.blocks = *blocks.allocate(n_blocks);
    const size_t vocab = static_cast<size_t>(model.config().n_vocab);
    std::vector<std::vector<float>> out;
    for (int start = 0; start < n; start += step) {
        const int count = std::min(step, n - start);
        Batch batch;
        batch.tables.push_back(&table);
        for (int i = 0; i < count; ++i) batch.tokens.push_back({prompt[static_cast<size_t>(start + i)], start + i, 0, true});
        std::vector<float> logits(vocab * static_cast<size_t>(count));
        auto ok = fwd.forward(batch, logits);
        if (!ok) throw std::runtime_error(ok.error().message);
        for (int i = 0; i < count; ++i) out.emplace_back(logits.begin() + static_cast<long>(i * vocab), logits.begin() + static_cast<long>((i + 1) * vocab));
    }
    return out;
}

double cosine_similarity(const std::vector<float>& a, const std::vector<float>& b) {
    double dot = 0, na = 0, nb = 0;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
        dot += static_cast<double>(a[i]) * b[i];
        na += static_cast<double>(a[i]) * a[i];
        nb += static_cast<double>(b[i]) * b[i];
    }
    return dot / (std::sqrt(na) * std::sqrt(nb) + 1e-30);
}

}  // namespace clawbot::test
