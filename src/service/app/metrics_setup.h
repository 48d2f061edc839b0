#pragma once
// Gauges read at scrape time: connections, engine load, KV cache, process.
#include "engine/scheduler/request.h"
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

// queue_capacity: MAX_QUEUE, so alerts can compare the queue with its bound.
void register_runtime_metrics(MetricsRegistry& registry, const HttpServer& server, const Provider* provider,
                              int queue_capacity);

}  // namespace clawbot::service
