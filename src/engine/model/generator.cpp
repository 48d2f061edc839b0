#include "engine/model/generator.h"

#include <algorithm>
#include <string>

namespace clawbot {

Generator::Generator(const Model& model, ThreadPool& pool, int context_size, int max_batch_tokens)
    : model_(model),
      context_size_(context_size),
      max_batch_tokens_(max_batch_tokens),
      blocks_((context_size + kBlockSize - 1) / kBlockSize),
      kv_(KvLayout{model.config().n_layers, model.config().kv_dim(), kBlockSize, (context_size + kBlockSize - 1) / kBlockSize}),
      forward_(model, kv_, pool, max_batch_tokens, context_size),
      logits_(static_cast<size_t>(model.config().n_vocab)) {
    batch_.tokens.reserve(static_cast<size_t>(max_batch_tokens));
}

void Generator::reset() {
    for (BlockId b : table_.blocks) blocks_.release(b);
    table_.blocks.clear();
    n_past_ = 0;
}

Result<std::span<float>> Generator::feed(std::span<const TokenId> tokens) {
    if (tokens.empty()) return make_error("nothing to feed");
    if (n_past_ + static_cast<int64_t>(tokens.size()) > context_size_) {
        return make_error("context length exceeded: " + std::to_string(n_past_ + tokens.size()) + " tokens > " +
                          std::to_string(context_size_));
    }
    size_t done = 0;
    while (done < tokens.size()) {
        const size_t n = std::min(tokens.size() - done, static_cast<size_t>(max_batch_tokens_));
        const int last_pos = n_past_ + static_cast<int>(n) - 1;
        while (static_cast<int>(table_.blocks.size()) * kBlockSize <= last_pos) {
            auto block = blocks_.allocate();
            if (!block) return make_error("KV cache full");
            table_.blocks.push_back(*block);
        }
        batch_.clear();
        batch_.tables.push_back(&table_);
        for (size_t i = 0; i < n; ++i) {
            const bool last = done + i + 1 == tokens.size();
            batch_.tokens.push_back({tokens[done + i], n_past_ + static_cast<int32_t>(i), 0, last});
        }
        auto ok = forward_.forward(batch_, logits_);
        if (!ok) return ok.error();
        n_past_ += static_cast<int>(n);
        done += n;
    }
    return std::span<float>(logits_);
}

Result<GenerateResult> generate(Generator& gen, const Model& model, std::span<const TokenId> prompt, int max_tokens,
                                const SamplerParams& params, void (*on_text)(const std::string&, void*), void* user) {
    const Tokenizer& tok = model.tokenizer();
    Sampler sampler(params, model.config().n_vocab);
    IncrementalDetokenizer detok(tok);
    GenerateResult result;
    std::vector<TokenId> history(prompt.begin(), prompt.end());
    history.reserve(prompt.size() + static_cast<size_t>(std::max(max_tokens, 0)));
    auto logits = gen.feed(prompt);
    if (!logits) return logits.error();
    for (int i = 0; i < max_tokens; ++i) {
        const TokenId next = sampler.sample(*logits, history);
        if (tok.is_eog(next)) {
            result.stopped_at_eog = true;
            break;
        }
        result.tokens.push_back(next);
        history.push_back(next);
        const std::string text = detok.push(next);
        result.text += text;
        if (on_text && !text.empty()) on_text(text, user);
        if (i + 1 == max_tokens) break;
        logits = gen.feed(std::span<const TokenId>(&history.back(), 1));
        if (!logits) return logits.error();
    }
    const std::string rest = detok.flush();
    result.text += rest;
    if (on_text && !rest.empty()) on_text(rest, user);
    return result;
}

}  // namespace clawbot
