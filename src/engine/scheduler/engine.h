#pragma once
// The inference engine: one thread that runs steps of continuous batching
// over a shared paged KV cache. Callers submit requests from any thread and
// get tokens pushed to their TokenSink; the loop is
//   admit() -> plan() -> forward(batch) -> sample and emit -> retire.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "common/result.h"
#include "engine/kv/kv_budget.h"
#include "engine/kv/kv_manager.h"
#include "engine/kv/kv_storage.h"
#include "engine/model/forward.h"
#include "engine/model/model.h"
#include "engine/scheduler/request.h"
#include "engine/scheduler/scheduler.h"
#include "engine/scheduler/sequence.h"
#include "engine/tensor/thread_pool.h"

namespace clawbot {

struct EngineOptions {
    int threads = 0;             // 0 = physical cores
    int context_size = 4096;     // most tokens (prompt + reply) one request may hold
    int max_batch_size = 16;     // sequences running at once
    int max_queue = 64;          // requests waiting beyond those
    int step_token_budget = kDefaultStepTokens;  // tokens per step (decode + prefill slices)
    int kv_cache_tokens = 0;     // KV capacity over all sequences (of the layers that keep every position); 0 = derived
    int block_size = kDefaultKvBlockSize;
    EngineObserver* observer = nullptr;  // optional; must outlive the engine
    int queue_notice_ms = 2000;          // how often waiting requests hear their place
    // Sliding-window layers keep only the blocks their windows reach, in a
    // pool of their own. false: they keep every position like the other
    // layers (the same logits, much more memory; for comparison).
    bool window_kv_pool = true;
};

// Counters for metrics, readable from any thread.
struct EngineStats {
    int running = 0;
    int waiting = 0;
    int kv_blocks_total = 0;
    int kv_blocks_free = 0;    // available: never used or evictable
    int kv_blocks_cached = 0;  // unreferenced but holding reusable prefixes
    // The sliding-window layers' pool, likewise (all 0 without one).
    int kv_window_blocks_total = 0;
    int kv_window_blocks_free = 0;
    int kv_window_blocks_cached = 0;
    uint64_t prefix_hit_tokens = 0;
    uint64_t steps = 0;
    uint64_t tokens_generated = 0;
    uint64_t prompt_tokens_computed = 0;
};

enum class SubmitError { QueueFull, ContextLengthExceeded, InvalidRequest, ShuttingDown };

struct SubmitFailure {
    SubmitError code;
    std::string message;
};

class InferenceEngine {
public:
    InferenceEngine(const Model& model, const EngineOptions& options);
    ~InferenceEngine();  // cancels what is left and joins the engine thread
    InferenceEngine(const InferenceEngine&) = delete;
    InferenceEngine& operator=(const InferenceEngine&) = delete;

    // Queues a request; its sink receives tokens and one on_finish. Fails
    // at once (and the sink hears nothing) when the queue is full, the
    // request can never fit the context, or the engine is stopping.
    Result<std::shared_ptr<RequestControl>, SubmitFailure> submit(GenerationRequest request);
    // Several at once, as one arrival: the engine's next step sees all that
    // were accepted (a batched benchmark's sequences start together).
    std::vector<Result<std::shared_ptr<RequestControl>, SubmitFailure>> submit_all(std::vector<GenerationRequest> requests);

    EngineStats stats() const;
    // Seconds a request arriving now would likely wait for a batch slot,
    // from the queue length and the recent time per finished request.
    double estimated_wait_s() const;
    const EngineOptions& options() const { return options_; }
    const Model& model() const { return model_; }

private:
    Result<std::unique_ptr<Sequence>, SubmitFailure> make_sequence(GenerationRequest request) const;
    Result<std::shared_ptr<RequestControl>, SubmitFailure> enqueue_locked(std::unique_ptr<Sequence> seq);  // mutex_ held
    void run();
    void take_inbox(std::unique_lock<std::mutex>& lock);
    void drop_cancelled();
    void execute(const StepPlan& plan);
    void fail_step(const StepPlan& plan, const std::string& what);
    void sample_and_emit(Sequence& seq, std::span<float> logits);
    // An embedding request whose prompt is all computed: pool, report, retire.
    void finish_embedding(Sequence& seq);
    void retire(Sequence* seq, FinishReason reason, std::string_view error = {});
    void publish_stats();
    void notify_queue_positions();

    const Model& model_;
    EngineOptions options_;
    ThreadPool pool_;
    KvStorage kv_storage_;                      // layers that keep every position
    std::unique_ptr<KvStorage> window_storage_; // sliding-window layers; null without a window pool
    KvManager kv_;
    ForwardPass forward_;
    Scheduler scheduler_;

    // Engine-thread state.
    std::deque<Sequence*> waiting_;
    std::vector<Sequence*> running_;
    Batch batch_;
    std::vector<float> logits_;
    std::vector<float> hidden_;         // embedding requests' hidden states of one step (sized at first use)
    std::vector<float> embedding_out_;  // one finished embedding
    std::vector<Sequence*> to_sample_;
    std::vector<std::unique_ptr<Sampler>> slot_samplers_;  // one per batch slot
    std::vector<Sampler*> free_samplers_;

    // Shared with submitters.
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<std::unique_ptr<Sequence>> inbox_;
    int queued_ = 0;  // inbox + waiting, for the queue limit
    bool stopping_ = false;
    uint64_t next_id_ = 1;
    std::vector<std::unique_ptr<Sequence>> owned_;  // engine-thread owned sequences

    std::atomic<int> stat_running_{0}, stat_waiting_{0}, stat_kv_free_{0}, stat_kv_cached_{0};
    std::atomic<int> stat_window_free_{0}, stat_window_cached_{0};
    std::atomic<uint64_t> stat_prefix_hits_{0};
    // Exponential moving average of request run time (admission to finish).
    std::atomic<double> avg_request_s_{1.0};
    // For estimated_wait_s(): the measured time of one step (moving average
    // over the last few) and the steps the running sequences still have at
    // most (their max_tokens less what they generated), as of the last step.
    double step_s_ema_ = 0.0;  // engine thread
    std::atomic<double> stat_step_s_{0.0};
    std::atomic<double> stat_mean_remaining_steps_{0.0};
    std::chrono::steady_clock::time_point last_queue_notice_{};
    std::atomic<uint64_t> stat_steps_{0}, stat_generated_{0}, stat_prompt_{0};
    std::thread thread_;
};

}  // namespace clawbot
