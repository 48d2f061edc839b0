#include "cli/bench_batched.h"
#include "cli/bench_stats.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <span>
#include <string>

#include "engine/kv/block_pool.h"
#include "engine/kv/kv_storage.h"
#include "engine/model/forward.h"

namespace clawbot::cli {
namespace {

constexpr int kBlockSize = 16;  // the engine's default KV block
constexpr int kPrefillBatchTokens = 512;

// B sequences over one KV pool sized for all of them, and the scratch to
// run them: everything allocated once, before any timing.
class BatchRun {
public:
    BatchRun(const Model& model, ThreadPool& pool, int batch, int prompt_tokens, int gen_tokens)
        : model_(model),
          batch_size_(batch),
          blocks_per_seq_((prompt_tokens + gen_tokens + kBlockSize - 1) / kBlockSize),
          blocks_(batch * blocks_per_seq_),
          kv_(KvLayout{model.config().n_layers, model.config().kv_dim(), kBlockSize, batch * blocks_per_seq_}),
          forward_(model, kv_, pool, std::max(batch, std::min(kPrefillBatchTokens, batch * prompt_tokens)),
                   prompt_tokens + gen_tokens),
          tables_(static_cast<size_t>(batch)),
          logits_(static_cast<size_t>(batch) * static_cast<size_t>(model.config().n_vocab)),
          next_(static_cast<size_t>(batch)) {
        std::mt19937 rng(42);
        std::uniform_int_distribution<TokenId> pick(0, model.config().n_vocab - 1);
        prompts_.resize(static_cast<size_t>(batch));
        for (auto& prompt : prompts_) {
            prompt.resize(static_cast<size_t>(prompt_tokens));
            for (TokenId& t : prompt) t = pick(rng);
        }
    }

    // Returns {prefill seconds, decode seconds}.
    Result<std::pair<double, double>> run(int gen_tokens) {
        reset();
        const auto prefill_start = std::chrono::steady_clock::now();
        if (auto ok = prefill(); !ok) return ok.error();
        const double prefill_s = seconds_since(prefill_start);
        const auto decode_start = std::chrono::steady_clock::now();
        const int prompt_tokens = static_cast<int>(prompts_[0].size());
        for (int step = 0; step < gen_tokens; ++step) {
            batch_.clear();
            for (int s = 0; s < batch_size_; ++s) {
                batch_.tables.push_back(&tables_[static_cast<size_t>(s)]);
                batch_.tokens.push_back({next_[static_cast<size_t>(s)], prompt_tokens + step, s, true});
            }
            if (auto ok = forward_.forward(batch_, logits_); !ok) return ok.error();
            take_next_tokens(batch_size_);
            first_sequence_tokens_.push_back(next_[0]);
        }
        return std::pair{prefill_s, seconds_since(decode_start)};
    }

    const std::vector<TokenId>& first_sequence_tokens() const { return first_sequence_tokens_; }

private:
    void reset() {
        first_sequence_tokens_.clear();
        for (BlockTable& table : tables_) {
            for (BlockId b : table.blocks) blocks_.release(b);
            table.blocks.clear();
            // Every block the sequence will need, up front, as the server's
            // admission reserves them.
            for (int i = 0; i < blocks_per_seq_; ++i) table.blocks.push_back(*blocks_.allocate());
        }
    }

    // Prompts packed into batches of up to the pass's token capacity; the
    // last token of each prompt asks for logits.
    Result<bool> prefill() {
        const size_t capacity = static_cast<size_t>(forward_.max_tokens());
        batch_.clear();
        std::vector<int> finished;  // sequences whose last prompt token is in this batch
        for (int s = 0; s < batch_size_; ++s) {
            const auto& prompt = prompts_[static_cast<size_t>(s)];
            for (size_t pos = 0; pos < prompt.size(); ++pos) {
                if (batch_.tokens.size() == capacity) {
                    if (auto ok = flush(finished); !ok) return ok;
                }
                if (batch_.tables.empty() || batch_.tables.back() != &tables_[static_cast<size_t>(s)]) {
                    batch_.tables.push_back(&tables_[static_cast<size_t>(s)]);
                }
                const bool last = pos + 1 == prompt.size();
                batch_.tokens.push_back(
                    {prompt[pos], static_cast<int32_t>(pos), static_cast<int32_t>(batch_.tables.size() - 1), last});
                if (last) finished.push_back(s);
            }
        }
        return flush(finished);
    }

    Result<bool> flush(std::vector<int>& finished) {
        if (batch_.tokens.empty()) return true;
        if (auto ok = forward_.forward(batch_, logits_); !ok) return ok;
        const size_t vocab = static_cast<size_t>(model_.config().n_vocab);
        for (size_t i = 0; i < finished.size(); ++i) {
            next_[static_cast<size_t>(finished[i])] = argmax(std::span<const float>(logits_.data() + i * vocab, vocab));
        }
        finished.clear();
        batch_.clear();
        return true;
    }

    void take_next_tokens(int rows) {
        const size_t vocab = static_cast<size_t>(model_.config().n_vocab);
        for (int s = 0; s < rows; ++s) {
            next_[static_cast<size_t>(s)] =
                argmax(std::span<const float>(logits_.data() + static_cast<size_t>(s) * vocab, vocab));
        }
    }

    const Model& model_;
    int batch_size_;
    int blocks_per_seq_;
    BlockPool blocks_;
    KvStorage kv_;
    ForwardPass forward_;
    std::vector<BlockTable> tables_;
    std::vector<std::vector<TokenId>> prompts_;
    Batch batch_;
    std::vector<float> logits_;
    std::vector<TokenId> next_;
    std::vector<TokenId> first_sequence_tokens_;  // greedy, from the last run
};

}  // namespace

Result<std::vector<BatchFigures>> bench_batches(const Model& model, ThreadPool& pool, const std::vector<int>& batches,
                                                int prompt_tokens, int gen_tokens, int repetitions) {
    std::vector<BatchFigures> out;
    BatchRun alone(model, pool, 1, prompt_tokens, gen_tokens);
    if (auto ok = alone.run(gen_tokens); !ok) return ok.error();
    const std::vector<TokenId> reference = alone.first_sequence_tokens();
    for (int batch : batches) {
        BatchRun run(model, pool, batch, prompt_tokens, gen_tokens);
        std::vector<double> prefill, decode;
        for (int r = 0; r <= repetitions; ++r) {
            auto times = run.run(gen_tokens);
            if (!times) return times.error();
            if (r == 0) continue;  // warm-up: page faults, first-touch of the KV pool
            prefill.push_back(batch * prompt_tokens / times->first);
            decode.push_back(batch * gen_tokens / times->second);
        }
        out.push_back({batch, median(prefill), median(decode), run.first_sequence_tokens() == reference});
    }
    return out;
}

double thread_pool_barrier_us(ThreadPool& pool) {
    constexpr int kRounds = 20;
    constexpr int kCallsPerRound = 200;
    std::vector<double> per_call;
    for (int r = 0; r < kRounds; ++r) {
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < kCallsPerRound; ++i) pool.run([](int, int) {});
        per_call.push_back(seconds_since(start) * 1e6 / kCallsPerRound);
    }
    return median(per_call);
}

Result<std::vector<int>> parse_batch_sizes(const std::string& text) {
    std::vector<int> sizes;
    size_t at = 0;
    while (at <= text.size()) {
        const size_t comma = std::min(text.find(',', at), text.size());
        const std::string item = text.substr(at, comma - at);
        size_t used = 0;
        int value = 0;
        try {
            value = std::stoi(item, &used);
        } catch (...) {
            used = 0;
        }
        if (item.empty() || used != item.size() || value < 1 || value > 1024) {
            return make_error("--batch: expected batch sizes 1..1024 separated by commas, got \"" + text + "\"");
        }
        sizes.push_back(value);
        at = comma + 1;
    }
    return sizes;
}

}  // namespace clawbot::cli
