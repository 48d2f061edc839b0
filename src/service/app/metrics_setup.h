#pragma once
// Gauges read at scrape time: connections, engine load, KV cache, process.
#include <vector>

#include "engine/scheduler/request.h"
#include "service/api/work_queue.h"
#include "service/http/http_server.h"
#include "service/obs/metrics.h"
#include "service/provider/provider.h"

namespace clawbot::service {

// Engine timings into histograms: step sizes, queue waits, token gaps.
class EngineMetrics final : public EngineObserver {
public:
    explicit EngineMetrics(MetricsRegistry& registry);
    void on_step(int batch_tokens, int sequences) override;
    void on_admitted(double queue_wait_s) override;
    void on_token_gap(double seconds) override;

private:
    Histogram& batch_tokens_;
    Histogram& batch_sequences_;
    Histogram& queue_wait_;
    Histogram& token_gap_;
};

// The depth of each executor queue between the I/O threads and the store or
// the engine: clawbot_<name>_queue_depth.
struct NamedQueue {
    const char* name;  // e.g. "store_reads"
    const WorkQueue* queue;
};
void register_queue_metrics(MetricsRegistry& registry, const std::vector<NamedQueue>& queues);

// queue_capacity: MAX_QUEUE, so alerts can compare the queue with its bound.
void register_runtime_metrics(MetricsRegistry& registry, const HttpServer& server, const Provider* provider,
                              int queue_capacity);

}  // namespace clawbot::service
