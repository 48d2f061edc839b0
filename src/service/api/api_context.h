#pragma once
// What the API routes share: settings, store, provider, metrics and log.
#include <memory>
#include <string>

#include "service/config/settings.h"
#include "service/obs/metrics.h"
#include "service/obs/request_log.h"
#include "service/provider/provider.h"
#include "service/store/conversation_store.h"
#include "service/api/work_queue.h"

namespace clawbot::service {

struct ServiceMetrics {
    explicit ServiceMetrics(MetricsRegistry& registry);

    CounterFamily& requests;  // by route, method, status
    Histogram& request_seconds;
    Histogram& ttft_seconds;
    CounterFamily& tokens;    // by kind: prompt, completion, cached
    CounterFamily& rejected;  // by reason: overloaded, context_length_exceeded, ...
};

struct ApiContext {
    Settings settings;
    ConversationStore& store;
    Provider* provider = nullptr;  // null: no model loaded (503)
    MetricsRegistry& registry;
    ServiceMetrics& metrics;
    Logger& log;
    WorkQueue& blocking;  // store writes off the engine and IO threads
};

}  // namespace clawbot::service
