#pragma once
// What the API routes share: settings, store, provider, metrics and log.
#include <atomic>
#include <memory>
#include <string>

#include "service/config/settings.h"
#include "service/obs/metrics.h"
#include "service/obs/request_log.h"
#include "service/provider/provider.h"
#include "service/store/conversation_store.h"
#include "service/api/cors.h"
#include "service/api/model_names.h"
#include "service/api/work_queue.h"
#include "service/auth/token_cache.h"
#include "service/auth/token_rate_limiter.h"

namespace clawbot::service {

struct ServiceMetrics {
    explicit ServiceMetrics(MetricsRegistry& registry);

    CounterFamily& requests;  // by route, method, status
    Histogram& request_seconds;
    Histogram& ttft_seconds;
    CounterFamily& tokens;    // by kind: prompt, completion, cached
    CounterFamily& rejected;  // by reason: overloaded, context_length_exceeded, ...
    CounterFamily& truncated;  // replies whose prompt dropped the oldest turns
};

// Counts chat requests in flight (queued or generating) against
// MAX_CONCURRENT_REQUESTS; a Slot is held for a request's whole life.
class InflightLimit {
public:
    explicit InflightLimit(int limit) : limit_(limit) {}
    class Slot {
    public:
        explicit Slot(InflightLimit& owner) : owner_(&owner) {}
        ~Slot() { owner_->count_.fetch_sub(1); }
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;

    private:
        InflightLimit* owner_;
    };
    // A slot, or null when the limit is reached.
    std::unique_ptr<Slot> try_acquire() {
        if (count_.fetch_add(1) >= limit_) {
            count_.fetch_sub(1);
            return nullptr;
        }
        return std::make_unique<Slot>(*this);
    }
    int in_flight() const { return count_.load(); }

private:
    int limit_;
    std::atomic<int> count_{0};
};

struct ApiContext {
    Settings settings;
    ConversationStore& store;
    Provider* provider = nullptr;  // null: no model loaded (503)
    MetricsRegistry& registry;
    ServiceMetrics& metrics;
    Logger& log;
    // Store calls never run on an I/O thread or the engine thread. Writes
    // (commits wait for fsync and for locks other processes hold) and reads
    // (on their own connections) have separate executors, so a stalled
    // commit never holds up a read. try_post is bounded: full answers 503.
    WorkQueue& store_writes;
    WorkQueue& store_reads;
    InflightLimit& inflight;
    // Chat requests from their parsed header to the provider: body parsing,
    // history reads, template rendering and tokenizing, off the I/O threads.
    // Bounded: a full queue answers 503.
    WorkQueue& prep;
    TokenRateLimiter& rate_limiter;
    // Every access token in memory: the I/O threads authenticate from it.
    TokenCache& tokens;
    const ModelNames& model_names;
    const CorsPolicy& cors;
};

}  // namespace clawbot::service
