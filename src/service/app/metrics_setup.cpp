#include "service/app/metrics_setup.h"

#include <algorithm>
#include <thread>

#include <unistd.h>

#include "service/obs/process_stats.h"

namespace clawbot::service {

EngineMetrics::EngineMetrics(MetricsRegistry& r)
    : batch_tokens_(r.histogram("clawbot_batch_tokens", "Tokens per engine step", {1, 2, 4, 8, 16, 32, 64, 128, 256, 512})),
      batch_sequences_(r.histogram("clawbot_batch_size", "Sequences per engine step", {1, 2, 4, 8, 16, 32, 64})),
      queue_wait_(r.histogram("clawbot_queue_wait_seconds", "Time from arrival to a batch slot", latency_buckets())),
      token_gap_(r.histogram("clawbot_inter_token_seconds", "Time between two tokens of one reply",
                             {0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5})) {}

void EngineMetrics::on_step(int batch_tokens, int sequences) {
    batch_tokens_.observe(batch_tokens);
    batch_sequences_.observe(sequences);
}

void EngineMetrics::on_admitted(double queue_wait_s) { queue_wait_.observe(queue_wait_s); }

void EngineMetrics::on_token_gap(double seconds) { token_gap_.observe(seconds); }

void register_runtime_metrics(MetricsRegistry& r, const HttpServer& server, const Provider* provider, int queue_capacity) {
    r.callback("clawbot_queue_capacity", "Requests that may wait for a batch slot (MAX_QUEUE)",
               [queue_capacity] { return static_cast<double>(queue_capacity); });
    // The host's size, so alert rules can express CPU and memory as shares.
    r.callback("clawbot_cpu_cores", "CPUs this process may use",
               [] { return static_cast<double>(std::max(1u, std::thread::hardware_concurrency())); });
    r.callback("clawbot_memory_total_bytes", "Physical memory of the host",
               [] { return static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE)); });
    r.callback("clawbot_open_connections", "Open HTTP connections", [&server] { return static_cast<double>(server.open_connections()); });
    r.callback("clawbot_http_connections_rejected_total", "Connections refused over the connection cap",
               [&server] { return static_cast<double>(server.stats().connections_rejected); }, "counter");
    // What the HTTP layer refused or lost before (or instead of) a route:
    // each is also in clawbot_http_requests_total with route="-".
    const auto http_counter = [&](const char* name, const char* help, std::uint64_t HttpServerStats::*field) {
        r.callback(name, help, [&server, field] { return static_cast<double>(server.stats().*field); }, "counter");
    };
    http_counter("clawbot_http_connections_rejected_per_client_total",
                 "Connections refused over MAX_CONNECTIONS_PER_CLIENT (429)", &HttpServerStats::connections_rejected_per_client);
    http_counter("clawbot_http_ops_connections_total", "Connections served from the slots reserved for health and metrics",
                 &HttpServerStats::ops_connections);
    http_counter("clawbot_http_requests_malformed_total", "Requests refused as malformed (400)",
                 &HttpServerStats::requests_malformed);
    http_counter("clawbot_http_requests_body_too_large_total", "Requests over MAX_BODY_BYTES (413)",
                 &HttpServerStats::requests_body_too_large);
    http_counter("clawbot_http_requests_header_too_large_total", "Requests over MAX_HEADER_BYTES (431)",
                 &HttpServerStats::requests_header_too_large);
    http_counter("clawbot_http_requests_not_implemented_total", "Requests with an unknown method or coding (501)",
                 &HttpServerStats::requests_not_implemented);
    http_counter("clawbot_http_requests_refused_before_body_total",
                 "Requests refused on their header (no valid token) without reading a body",
                 &HttpServerStats::requests_refused_before_body);
    http_counter("clawbot_http_body_buffer_full_total", "Requests refused over MAX_BUFFERED_BODY_BYTES (503)",
                 &HttpServerStats::requests_body_buffer_full);
    http_counter("clawbot_http_timeouts_total", "Connections closed by a request-line, header, body or write timeout",
                 &HttpServerStats::timeouts);
    http_counter("clawbot_http_client_disconnects_total", "Clients gone in the middle of an exchange",
                 &HttpServerStats::client_disconnects);
    http_counter("clawbot_http_stream_overflows_total", "Streams closed because the client fell too far behind",
                 &HttpServerStats::stream_overflows);
    r.callback("clawbot_requests_running", "Requests generating now",
               [provider] { return provider ? static_cast<double>(provider->load().running) : 0.0; });
    r.callback("clawbot_requests_queued", "Requests waiting for a batch slot",
               [provider] { return provider ? static_cast<double>(provider->load().queued) : 0.0; });
    auto load = [provider] { return provider ? provider->load() : Provider::Load{}; };
    // Blocks of a KV pool: referenced, kept for prefix reuse, allocatable.
    // The sliding-window pool (Gemma 3's local layers) is all 0 for a model without one.
    using Load = Provider::Load;
    const auto kv_pool = [&](const std::string& prefix, const std::string& what, int Load::*total, int Load::*free_blocks,
                             int Load::*cached) {
        r.callback(prefix + "_used", what + " blocks referenced by running requests",
                   [load, total, free_blocks] { const Load l = load(); return static_cast<double>(l.*total - l.*free_blocks); });
        r.callback(prefix + "_cached", "Unreferenced " + what + " blocks kept for prefix reuse",
                   [load, cached] { return static_cast<double>(load().*cached); });
        r.callback(prefix + "_free", what + " blocks that can be allocated (never used or evictable)",
                   [load, free_blocks] { return static_cast<double>(load().*free_blocks); });
    };
    kv_pool("clawbot_kv_blocks", "KV cache", &Load::kv_blocks_total, &Load::kv_blocks_free, &Load::kv_blocks_cached);
    kv_pool("clawbot_kv_window_blocks", "Sliding-window KV", &Load::kv_window_blocks_total, &Load::kv_window_blocks_free,
            &Load::kv_window_blocks_cached);
    r.callback("clawbot_prefix_cache_hit_tokens_total", "Prompt tokens whose KV was reused instead of recomputed",
               [load] { return static_cast<double>(load().prefix_hit_tokens); }, "counter");
    r.callback("clawbot_upstream_retries_total", "Cloud mode: upstream requests repeated after a 429, 5xx or refused connection",
               [load] { return static_cast<double>(load().upstream_retries); }, "counter");
    r.callback("clawbot_upstream_failures_total", "Cloud mode: completions that ended in an upstream error",
               [load] { return static_cast<double>(load().upstream_failures); }, "counter");
    r.callback("process_cpu_seconds_total", "User and system CPU time of the process",
               [] { return read_process_stats().cpu_seconds; }, "counter");
    r.callback("process_resident_memory_bytes", "Resident memory of the process",
               [] { return static_cast<double>(read_process_stats().resident_bytes); });
    r.callback("process_open_fds", "Open file descriptors", [] { return static_cast<double>(read_process_stats().open_fds); });
}

void register_queue_metrics(MetricsRegistry& registry, const std::vector<NamedQueue>& queues) {
    for (const NamedQueue& q : queues) {
        registry.callback(std::string("clawbot_") + q.name + "_queue_depth",
                          std::string("Jobs waiting for a ") + q.name + " thread",
                          [queue = q.queue] { return static_cast<double>(queue->pending()); });
    }
}

}  // namespace clawbot::service
