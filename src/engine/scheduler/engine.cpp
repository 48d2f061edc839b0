#include "engine/scheduler/engine.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "engine/kv/kv_budget.h"
#include "engine/model/kv_shape.h"

namespace clawbot {
namespace {

KvShape shape_of(const Model& model, const EngineOptions& o) {
    return kv_shape(model.config(), o.block_size, o.step_token_budget, o.window_kv_pool);
}

EngineOptions normalized(const Model& model, EngineOptions o) {
    o.threads = o.threads > 0 ? o.threads : physical_core_count();
    o.max_batch_size = std::max(o.max_batch_size, 1);
    o.max_queue = std::max(o.max_queue, 0);
    o.context_size = std::clamp(o.context_size, 16, model.config().context_length);
    o.step_token_budget = step_token_budget_for(o.step_token_budget, o.max_batch_size);
    if (o.kv_cache_tokens <= 0) {
        o.kv_cache_tokens = static_cast<int>(default_kv_budget(shape_of(model, o), o.max_batch_size, o.context_size).tokens);
    }
    o.kv_cache_tokens = std::max(o.kv_cache_tokens, o.context_size);
    return o;
}

KvLayout full_context_layout(const Model& model, const EngineOptions& o) {
    const KvShape shape = shape_of(model, o);
    return KvLayout{shape.n_layers - shape.n_window_layers, shape.kv_dim, o.block_size,
                    (o.kv_cache_tokens + o.block_size - 1) / o.block_size};
}

// A window's worth for as many full-context sequences as the full-context
// pool holds (every batch slot's, unless the memory cap decided).
std::unique_ptr<KvStorage> window_storage(const Model& model, const EngineOptions& o) {
    const KvShape shape = shape_of(model, o);
    if (shape.window == 0) return nullptr;
    const auto blocks = window_pool_blocks(shape, o.max_batch_size, o.context_size, o.kv_cache_tokens);
    return std::make_unique<KvStorage>(KvLayout{shape.n_window_layers, shape.kv_dim, o.block_size, static_cast<int>(blocks)});
}

WindowPoolOptions window_pool_options(const KvStorage* storage, const EngineOptions& o, const Model& model) {
    if (!storage) return {};
    return WindowPoolOptions{storage->layout().n_blocks, model.config().sliding_window, o.step_token_budget};
}

}  // namespace

InferenceEngine::InferenceEngine(const Model& model, const EngineOptions& options)
    : model_(model),
      options_(normalized(model, options)),
      pool_(options_.threads),
      kv_storage_(full_context_layout(model, options_)),
      window_storage_(window_storage(model, options_)),
      kv_(kv_storage_.layout().n_blocks, options_.block_size, window_pool_options(window_storage_.get(), options_, model)),
      forward_(model, kv_storage_, pool_, options_.step_token_budget, options_.context_size, window_storage_.get()),
      scheduler_(SchedulerLimits{options_.max_batch_size, options_.step_token_budget}),
      logits_(static_cast<size_t>(options_.max_batch_size) * model.config().n_vocab) {
    batch_.tokens.reserve(static_cast<size_t>(options_.step_token_budget));
    batch_.tables.reserve(static_cast<size_t>(options_.max_batch_size));
    batch_.window_tables.reserve(static_cast<size_t>(options_.max_batch_size));
    running_.reserve(static_cast<size_t>(options_.max_batch_size));
    to_sample_.reserve(static_cast<size_t>(options_.max_batch_size));
    // One sampler per batch slot: its buffers are sized by the vocabulary
    // (megabytes for 150k-token vocabularies), so queued requests hold none.
    for (int i = 0; i < options_.max_batch_size; ++i) {
        slot_samplers_.push_back(std::make_unique<Sampler>(SamplerParams{}, model.config().n_vocab));
        free_samplers_.push_back(slot_samplers_.back().get());
    }
    publish_stats();
    thread_ = std::thread([this] { run(); });
}

InferenceEngine::~InferenceEngine() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

Result<std::unique_ptr<Sequence>, SubmitFailure> InferenceEngine::make_sequence(GenerationRequest request) const {
    const int n_prompt = static_cast<int>(request.prompt.size());
    if (n_prompt == 0 || request.max_tokens <= 0 || !request.sink) {
        return SubmitFailure{SubmitError::InvalidRequest, "empty prompt, no sink or max_tokens <= 0"};
    }
    for (TokenId t : request.prompt) {
        if (t < 0 || t >= model_.config().n_vocab) return SubmitFailure{SubmitError::InvalidRequest, "token id out of range"};
    }
    for (const TokenBias& b : request.sampling.logit_bias) {
        if (b.token < 0 || b.token >= model_.config().n_vocab) {
            return SubmitFailure{SubmitError::InvalidRequest, "logit_bias names token " + std::to_string(b.token) +
                                                                  ", outside the vocabulary of " +
                                                                  std::to_string(model_.config().n_vocab)};
        }
    }
    if (static_cast<bool>(request.grammar) != static_cast<bool>(request.grammar_vocab) ||
        (request.grammar_vocab && request.grammar_vocab->n_vocab() != model_.config().n_vocab)) {
        return SubmitFailure{SubmitError::InvalidRequest, "a grammar needs the model's vocabulary trie"};
    }
    if (request.top_logprobs > Sampler::kMaxTopLogprobs) {
        return SubmitFailure{SubmitError::InvalidRequest,
                             "top_logprobs must be at most " + std::to_string(Sampler::kMaxTopLogprobs)};
    }
    if (int64_t{n_prompt} + request.max_tokens > options_.context_size) {
        return SubmitFailure{SubmitError::ContextLengthExceeded,
                             "the prompt (" + std::to_string(n_prompt) + " tokens) plus max_tokens (" +
                                 std::to_string(request.max_tokens) + ") exceeds the context size of " +
                                 std::to_string(options_.context_size) + " tokens"};
    }
    auto seq = std::make_unique<Sequence>();
    seq->control = request.control ? request.control : std::make_shared<RequestControl>();
    seq->enqueued_at = std::chrono::steady_clock::now();
    seq->n_prompt = n_prompt;
    seq->tokens = request.prompt;
    seq->tokens.reserve(static_cast<size_t>(n_prompt + request.max_tokens));
    seq->detokenizer = std::make_unique<IncrementalDetokenizer>(model_.tokenizer(), request.render_control_tokens);
    if (request.grammar) seq->grammar = std::make_unique<GrammarMatcher>(request.grammar, request.grammar_vocab);
    if (request.embed) seq->embedding_sum.assign(static_cast<size_t>(model_.config().dim), 0.0);
    seq->usage.prompt_tokens = n_prompt;
    seq->request = std::move(request);
    return seq;
}

Result<std::shared_ptr<RequestControl>, SubmitFailure> InferenceEngine::enqueue_locked(std::unique_ptr<Sequence> seq) {
    if (stopping_) return SubmitFailure{SubmitError::ShuttingDown, "the engine is shutting down"};
    const int free_slots = options_.max_batch_size - stat_running_.load();
    if (queued_ >= options_.max_queue + std::max(free_slots, 0)) {
        return SubmitFailure{SubmitError::QueueFull, "too many requests waiting"};
    }
    auto control = seq->control;
    seq->id = next_id_++;
    ++queued_;
    inbox_.push_back(std::move(seq));
    return control;
}

Result<std::shared_ptr<RequestControl>, SubmitFailure> InferenceEngine::submit(GenerationRequest request) {
    auto seq = make_sequence(std::move(request));
    if (!seq) return seq.error();
    Result<std::shared_ptr<RequestControl>, SubmitFailure> queued = SubmitFailure{SubmitError::ShuttingDown, ""};
    {
        std::lock_guard lock(mutex_);
        queued = enqueue_locked(std::move(seq).value());
    }
    if (queued) wake_.notify_one();
    return queued;
}

std::vector<Result<std::shared_ptr<RequestControl>, SubmitFailure>> InferenceEngine::submit_all(
    std::vector<GenerationRequest> requests) {
    std::vector<Result<std::unique_ptr<Sequence>, SubmitFailure>> made;
    made.reserve(requests.size());
    for (GenerationRequest& r : requests) made.push_back(make_sequence(std::move(r)));
    std::vector<Result<std::shared_ptr<RequestControl>, SubmitFailure>> out;
    out.reserve(made.size());
    {
        // One lock, one wake: the engine sees them all at its next step.
        std::lock_guard lock(mutex_);
        for (auto& seq : made) {
            if (!seq) {
                out.push_back(seq.error());
            } else {
                out.push_back(enqueue_locked(std::move(seq).value()));
            }
        }
    }
    wake_.notify_one();
    return out;
}

EngineStats InferenceEngine::stats() const {
    EngineStats s;
    s.running = stat_running_.load();
    s.waiting = stat_waiting_.load();
    s.kv_blocks_total = kv_.total_blocks();
    s.kv_blocks_free = stat_kv_free_.load();
    s.kv_blocks_cached = stat_kv_cached_.load();
    if (const WindowPool* window = kv_.window_pool()) s.kv_window_blocks_total = window->total_blocks();
    s.kv_window_blocks_free = stat_window_free_.load();
    s.kv_window_blocks_cached = stat_window_cached_.load();
    s.prefix_hit_tokens = stat_prefix_hits_.load();
    s.steps = stat_steps_.load();
    s.tokens_generated = stat_generated_.load();
    s.prompt_tokens_computed = stat_prompt_.load();
    return s;
}

void InferenceEngine::take_inbox(std::unique_lock<std::mutex>&) {
    for (auto& seq : inbox_) {
        waiting_.push_back(seq.get());
        owned_.push_back(std::move(seq));
    }
    inbox_.clear();
}

void InferenceEngine::run() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !inbox_.empty() || !running_.empty() || !waiting_.empty(); });
            if (stopping_) break;
            take_inbox(lock);
        }
        drop_cancelled();
        const size_t before = running_.size();
        scheduler_.admit(waiting_, running_, kv_);
        if (running_.size() != before) {
            const auto now = std::chrono::steady_clock::now();
            for (size_t i = before; i < running_.size(); ++i) {
                Sequence& seq = *running_[i];
                seq.sampler = free_samplers_.back();  // never empty: at most max_batch_size run
                free_samplers_.pop_back();
                seq.sampler->restart(seq.request.sampling);
                stat_prefix_hits_ += static_cast<uint64_t>(seq.usage.cached_tokens);
                seq.admitted_at = now;
                if (options_.observer) options_.observer->on_admitted(std::chrono::duration<double>(now - seq.enqueued_at).count());
            }
            std::lock_guard lock(mutex_);
            queued_ -= static_cast<int>(running_.size() - before);
        }
        publish_stats();
        notify_queue_positions();
        if (running_.empty()) {
            // Queued requests that cannot fit yet wait for a finish; with
            // nothing running that cannot happen, so they never will fit.
            while (!waiting_.empty()) retire(waiting_.front(), FinishReason::Error, "the request does not fit the KV cache");
            continue;
        }
        const StepPlan plan = scheduler_.plan(running_);
        // A step that throws (a kernel on a pool worker, a sink, an
        // observer) fails the requests in it, not the process; the engine
        // goes on with the next step.
        try {
            execute(plan);
        } catch (const std::exception& e) {
            fail_step(plan, e.what());
        } catch (...) {
            fail_step(plan, "unknown exception");
        }
    }
    // Shutting down: everyone still here is told so.
    std::unique_lock lock(mutex_);
    take_inbox(lock);
    lock.unlock();
    while (!running_.empty()) retire(running_.back(), FinishReason::Cancelled, "shutting down");
    while (!waiting_.empty()) retire(waiting_.front(), FinishReason::Cancelled, "shutting down");
}

void InferenceEngine::fail_step(const StepPlan& plan, const std::string& what) {
    const std::string message = "internal error in a model step: " + what;
    for (const StepEntry& e : plan.entries) {
        // Only those still running: a request the step already finished is
        // gone (and its pointer must not be followed).
        if (std::find(running_.begin(), running_.end(), e.seq) != running_.end()) {
            retire(e.seq, FinishReason::Error, message);
        }
    }
}

void InferenceEngine::drop_cancelled() {
    for (size_t i = 0; i < running_.size();) {
        if (running_[i]->control->cancelled()) {
            retire(running_[i], FinishReason::Cancelled);
        } else {
            ++i;
        }
    }
    for (size_t i = 0; i < waiting_.size();) {
        if (waiting_[i]->control->cancelled()) {
            retire(waiting_[i], FinishReason::Cancelled);
        } else {
            ++i;
        }
    }
}

void InferenceEngine::execute(const StepPlan& plan) {
    batch_.clear();
    to_sample_.clear();
    size_t n_hidden = 0;
    for (const StepEntry& e : plan.entries) {
        const int32_t seq_index = static_cast<int32_t>(batch_.tables.size());
        batch_.tables.push_back(&e.seq->kv.table);
        if (window_storage_) {
            // Never fails: the pool reserved the most any step can take.
            if (!kv_.extend_window(e.seq->kv, e.first + e.count)) throw std::logic_error("a step outgrew its window KV blocks");
            batch_.window_tables.push_back(&e.seq->kv.window.table);
        }
        const bool embed = e.seq->request.embed;
        for (int i = 0; i < e.count; ++i) {
            const int pos = e.first + i;
            const bool last = e.sample && i + 1 == e.count && !embed;
            batch_.tokens.push_back({e.seq->tokens[static_cast<size_t>(pos)], pos, seq_index, last, embed});
            n_hidden += embed ? 1 : 0;
        }
        if (e.sample && !embed) to_sample_.push_back(e.seq);
    }
    const size_t dim = static_cast<size_t>(model_.config().dim);
    if (hidden_.size() < n_hidden * dim) hidden_.resize(static_cast<size_t>(options_.step_token_budget) * dim);  // once
    const auto step_start = std::chrono::steady_clock::now();
    auto ok = forward_.forward(batch_, logits_, std::span<float>(hidden_.data(), n_hidden * dim));
    const double step_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();
    step_s_ema_ = step_s_ema_ == 0.0 ? step_s : 0.7 * step_s_ema_ + 0.3 * step_s;
    stat_step_s_ = step_s_ema_;
    ++stat_steps_;
    if (options_.observer) options_.observer->on_step(plan.n_tokens, static_cast<int>(plan.entries.size()));
    if (!ok) {
        for (const StepEntry& e : plan.entries) retire(e.seq, FinishReason::Error, ok.error().message);
        return;
    }
    const float* hidden_row = hidden_.data();
    for (const StepEntry& e : plan.entries) {
        e.seq->n_computed += e.count;
        if (e.seq->n_computed <= e.seq->n_prompt) stat_prompt_ += static_cast<uint64_t>(e.count);
        kv_.publish(e.seq->tokens, e.seq->n_computed, e.seq->kv);
        kv_.trim_window(e.seq->kv, e.seq->n_computed);
        if (!e.seq->request.embed) continue;
        std::vector<double>& sum = e.seq->embedding_sum;
        for (int i = 0; i < e.count; ++i, hidden_row += dim) {
            for (size_t d = 0; d < dim; ++d) sum[d] += hidden_row[d];
        }
        if (!e.seq->prefilling()) finish_embedding(*e.seq);
    }
    const size_t vocab = static_cast<size_t>(model_.config().n_vocab);
    for (size_t i = 0; i < to_sample_.size(); ++i) {
        sample_and_emit(*to_sample_[i], std::span<float>(logits_.data() + i * vocab, vocab));
    }
    double remaining = 0;
    for (const Sequence* seq : running_) remaining += seq->request.max_tokens - seq->n_generated;
    stat_mean_remaining_steps_ = running_.empty() ? 0.0 : remaining / static_cast<double>(running_.size());
}

void InferenceEngine::finish_embedding(Sequence& seq) {
    // Mean over the prompt's tokens, then unit length (cosine similarity is
    // then a dot product). In place: the sum is not needed again.
    std::vector<double>& v = seq.embedding_sum;
    double norm = 0.0;
    for (double& x : v) {
        x /= static_cast<double>(seq.n_prompt);
        norm += x * x;
    }
    norm = std::sqrt(norm);
    std::vector<float>& out = embedding_out_;
    out.resize(v.size());
    for (size_t d = 0; d < v.size(); ++d) out[d] = static_cast<float>(norm > 0.0 ? v[d] / norm : 0.0);
    seq.request.sink->on_embedding(out);
    retire(&seq, FinishReason::Stop);
}

void InferenceEngine::sample_and_emit(Sequence& seq, std::span<float> logits) {
    if (seq.request.want_logits) seq.request.sink->on_logits(logits);
    const bool logprobs = seq.request.top_logprobs >= 0;
    if (logprobs) seq.sampler->measure_logprobs(logits, seq.request.top_logprobs);
    if (seq.grammar && seq.grammar->fill_mask(logits) == 0) {
        retire(&seq, FinishReason::Error, "the grammar allows no token here (it is too ambiguous, or cannot be satisfied)");
        return;
    }
    const TokenId next = seq.sampler->sample(logits, seq.tokens);
    if (seq.request.stop_at_eog && model_.tokenizer().is_eog(next)) {
        retire(&seq, FinishReason::Stop);
        return;
    }
    if (seq.grammar && !seq.grammar->accept_token(next)) {  // the mask allowed it: never expected
        retire(&seq, FinishReason::Error, "the grammar refused a token its mask allowed");
        return;
    }
    seq.tokens.push_back(next);
    ++seq.n_generated;
    ++seq.usage.completion_tokens;
    ++stat_generated_;
    const auto now = std::chrono::steady_clock::now();
    if (seq.n_generated > 1 && options_.observer) {
        options_.observer->on_token_gap(std::chrono::duration<double>(now - seq.last_token_at).count());
    }
    seq.last_token_at = now;
    const std::string text = seq.detokenizer->push(next);
    if (logprobs) seq.request.sink->on_logprobs({next, seq.sampler->logprob_of(next)}, seq.sampler->top_logprobs());
    seq.request.sink->on_token(next, text);
    if (seq.n_generated >= seq.request.max_tokens) retire(&seq, FinishReason::Length);
}

void InferenceEngine::retire(Sequence* seq, FinishReason reason, std::string_view error) {
    if (seq->admitted_at != std::chrono::steady_clock::time_point{} && reason != FinishReason::Cancelled) {
        const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - seq->admitted_at).count();
        avg_request_s_ = 0.8 * avg_request_s_.load() + 0.2 * took;
    }
    const std::string rest = seq->detokenizer->flush();
    if (!rest.empty() && reason != FinishReason::Cancelled) seq->request.sink->on_token(-1, rest);
    // Blocks and counters first, so that whoever hears on_finish sees them free.
    kv_.release(seq->kv);
    if (seq->sampler) free_samplers_.push_back(std::exchange(seq->sampler, nullptr));
    if (auto it = std::find(running_.begin(), running_.end(), seq); it != running_.end()) {
        running_.erase(it);
    } else if (auto wt = std::find(waiting_.begin(), waiting_.end(), seq); wt != waiting_.end()) {
        waiting_.erase(wt);
        std::lock_guard lock(mutex_);
        --queued_;
    }
    publish_stats();
    seq->request.sink->on_finish(reason, seq->usage, error);
    auto owner = std::find_if(owned_.begin(), owned_.end(), [seq](const auto& p) { return p.get() == seq; });
    if (owner != owned_.end()) {
        std::swap(*owner, owned_.back());
        owned_.pop_back();
    }
}

double InferenceEngine::estimated_wait_s() const {
    // Requests ahead of a newcomer leave in waves of max_batch_size. A wave
    // lasts as many steps as the running sequences have left, at the
    // measured step time; before any step ran, the average request time.
    const int ahead = stat_waiting_.load() + std::max(stat_running_.load() - options_.max_batch_size + 1, 0);
    const double waves = static_cast<double>(ahead) / options_.max_batch_size + 1.0;
    const double step_s = stat_step_s_.load();
    const double remaining = stat_mean_remaining_steps_.load();
    if (step_s <= 0.0 || remaining <= 0.0) return waves * avg_request_s_.load();
    return waves * remaining * step_s;
}

void InferenceEngine::notify_queue_positions() {
    const auto now = std::chrono::steady_clock::now();
    if (waiting_.empty() || now - last_queue_notice_ < std::chrono::milliseconds(options_.queue_notice_ms)) return;
    last_queue_notice_ = now;
    int position = 0;
    for (Sequence* seq : waiting_) seq->request.sink->on_queued(++position);
}

void InferenceEngine::publish_stats() {
    stat_running_ = static_cast<int>(running_.size());
    stat_waiting_ = static_cast<int>(waiting_.size());
    stat_kv_free_ = kv_.free_blocks();
    stat_kv_cached_ = kv_.cached_blocks();
    if (const WindowPool* window = kv_.window_pool()) {
        stat_window_free_ = window->free_blocks();
        stat_window_cached_ = window->cached_blocks();
    }
}

}  // namespace clawbot
