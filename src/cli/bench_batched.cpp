#include "cli/bench_batched.h"
#include "cli/bench_stats.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <string>

#include "engine/scheduler/engine.h"

namespace clawbot::cli {
namespace {

using Clock = std::chrono::steady_clock;

// The most prompt tokens one step may take: every prompt of the usual
// sizes (32 x 128) in one step, so prefill and decode are timed apart, as
// the reference's batched bench does.
constexpr int kMaxPrefillStepTokens = 4096;

// Times every token of B requests submitted together, and waits for all.
class BatchTimes {
public:
    explicit BatchTimes(int requests) : left_(requests), first_(static_cast<size_t>(requests)), last_(first_) {}

    class Sink final : public TokenSink {
    public:
        Sink(BatchTimes& owner, int index) : owner_(owner), index_(index) {}
        void on_token(TokenId token, std::string_view) override {
            if (token < 0) return;
            const double at = std::chrono::duration<double>(Clock::now() - owner_.start_).count();
            if (tokens.empty()) owner_.first_[static_cast<size_t>(index_)] = at;
            owner_.last_[static_cast<size_t>(index_)] = at;
            tokens.push_back(token);
        }
        void on_finish(FinishReason reason, const Usage&, std::string_view error) override {
            std::lock_guard lock(owner_.mutex_);
            if (reason == FinishReason::Error && owner_.error_.empty()) owner_.error_ = std::string(error);
            if (--owner_.left_ == 0) owner_.done_.notify_all();
        }
        std::vector<TokenId> tokens;

    private:
        BatchTimes& owner_;
        int index_;
    };

    void start() { start_ = Clock::now(); }
    Result<void> wait() {
        std::unique_lock lock(mutex_);
        done_.wait(lock, [this] { return left_ == 0; });
        if (!error_.empty()) return make_error(error_);
        return {};
    }
    // Until every request had its first token; then until every one ended.
    double prefill_s() const { return *std::max_element(first_.begin(), first_.end()); }
    double decode_s() const { return *std::max_element(last_.begin(), last_.end()) - prefill_s(); }

private:
    Clock::time_point start_;
    std::mutex mutex_;
    std::condition_variable done_;
    int left_;
    std::string error_;
    std::vector<double> first_, last_;  // per request, seconds after start()
};

struct BatchRunResult {
    double prefill_s = 0, decode_s = 0;
    std::vector<TokenId> first_sequence_tokens;
};

// One run through a fresh engine (so no run reuses another's cached
// prompts): B requests with their own prompts, greedy, gen_tokens each
// after the one that ends the prefill.
Result<BatchRunResult> run_batch(const Model& model, int threads, const std::vector<std::vector<TokenId>>& prompts,
                                 int gen_tokens) {
    const int batch = static_cast<int>(prompts.size());
    const int prompt_tokens = static_cast<int>(prompts.front().size());
    EngineOptions options;
    options.threads = threads;
    options.context_size = prompt_tokens + gen_tokens + 1;
    options.max_batch_size = batch;
    options.max_queue = batch;
    options.step_token_budget = std::min(batch * prompt_tokens, kMaxPrefillStepTokens) + batch;
    // Whole blocks for every sequence: all are admitted at once, not in waves.
    const int blocks_per_sequence = (options.context_size + options.block_size - 1) / options.block_size;
    options.kv_cache_tokens = batch * blocks_per_sequence * options.block_size;
    InferenceEngine engine(model, options);
    BatchTimes times(batch);
    std::vector<std::shared_ptr<BatchTimes::Sink>> sinks;
    std::vector<GenerationRequest> requests;
    for (int s = 0; s < batch; ++s) {
        sinks.push_back(std::make_shared<BatchTimes::Sink>(times, s));
        GenerationRequest request;
        request.prompt = prompts[static_cast<size_t>(s)];
        request.max_tokens = gen_tokens + 1;
        request.sampling.temperature = 0.0f;
        request.stop_at_eog = false;
        request.sink = sinks.back();
        requests.push_back(std::move(request));
    }
    times.start();
    for (auto& submitted : engine.submit_all(std::move(requests))) {
        if (!submitted) return make_error(submitted.error().message);
    }
    if (auto done = times.wait(); !done) return done.error();
    return BatchRunResult{times.prefill_s(), times.decode_s(), sinks.front()->tokens};
}

std::vector<std::vector<TokenId>> random_prompts(const Model& model, int batch, int prompt_tokens, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<TokenId> pick(0, model.config().n_vocab - 1);
    std::vector<std::vector<TokenId>> prompts(static_cast<size_t>(batch));
    for (auto& prompt : prompts) {
        prompt.resize(static_cast<size_t>(prompt_tokens));
        for (TokenId& t : prompt) t = pick(rng);
    }
    return prompts;
}

}  // namespace

Result<std::vector<BatchFigures>> bench_batches(const Model& model, int threads, const std::vector<int>& batches,
                                                int prompt_tokens, int gen_tokens, int repetitions) {
    std::vector<BatchFigures> out;
    // The first prompt is the same at every size, for same_tokens_as_alone.
    auto alone = run_batch(model, threads, random_prompts(model, 1, prompt_tokens, 42), gen_tokens);
    if (!alone) return alone.error();
    for (int batch : batches) {
        const auto prompts = random_prompts(model, batch, prompt_tokens, 42);
        std::vector<double> prefill, decode;
        std::vector<TokenId> first_tokens;
        for (int r = 0; r <= repetitions; ++r) {
            auto run = run_batch(model, threads, prompts, gen_tokens);
            if (!run) return run.error();
            first_tokens = std::move(run->first_sequence_tokens);
            if (r == 0) continue;  // warm-up: page faults, first-touch of the KV pool
            prefill.push_back(batch * prompt_tokens / run->prefill_s);
            decode.push_back(batch * gen_tokens / run->decode_s);
        }
        out.push_back({batch, median(prefill), median(decode), first_tokens == alone->first_sequence_tokens});
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
