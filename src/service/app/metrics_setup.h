#pragma once
// Gauges read at scrape time: connections, engine load, KV cache, process.
#include "service/http/http_server.h"
#include "service/obs/metrics.h"
#include "service/provider/provider.h"

namespace clawbot::service {

void register_runtime_metrics(MetricsRegistry& registry, const HttpServer& server, const Provider* provider);

}  // namespace clawbot::service
