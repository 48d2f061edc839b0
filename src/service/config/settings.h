#pragma once
// Every knob of the service, with its documented default. The settings table
// (settings_table.h) reads these defaults back for --help, so a default is
// written down in exactly one place.
#include <cstddef>
#include <string>

namespace clawbot::service {

struct Settings {
    std::string model_path;                     // empty: no model (token commands need none); a path, or a name in models_dir
    std::string models_dir;                     // where `pull` puts models; empty: DATA_DIR/models
    std::string chat_template_file;             // a Jinja chat template in place of the model's own
    std::string model_aliases;                  // other `model` names /v1 requests may use; "*": any
    std::string cors_origins;                   // browser origins allowed to call the API; "*": any; empty: none
    std::string host = "127.0.0.1";
    int port = 18789;
    std::string data_dir = "/var/lib/clawbot";
    std::string store = "sqlite";               // "sqlite" (DATA_DIR/clawbot.db) or redis://[:password@]host[:port][/db]
    std::string log_file;                       // empty: stderr
    int threads = 0;                            // 0: the engine picks (physical cores)
    int ctx_size = 4096;
    int max_batch_size = 16;
    int max_concurrent_requests = 128;            // chat requests in flight, queued ones included
    int max_queue = 64;
    std::string api_key;                        // secret; upstream key for cloud mode
    bool metrics_public = false;
    std::size_t max_body_bytes = 1024 * 1024;
    std::size_t max_header_bytes = 16 * 1024;
    int header_timeout_s = 10;
    int request_line_timeout_s = 5;            // a connection that has not sent its request line yet
    int max_connections = 4096;
    int max_connections_per_client = 256;      // per client address; 0: no limit
    std::string connection_limit_exempt;       // comma-separated addresses not limited per client (a proxy's)
    int reserved_ops_connections = 16;         // of max_connections, kept for /healthz, /readyz, /metrics
    std::size_t max_buffered_body_bytes = 64 * 1024 * 1024;  // all request bodies being read at once
    int rate_limit_requests_per_minute = 600;  // chat requests per access token; 0: no limit
    int rate_limit_tokens_per_minute = 0;      // prompt + completion tokens per access token; 0: no limit
    int drain_timeout_s = 30;
    std::string provider = "local";             // "local" engine or "openai" upstream (cloud mode)
    std::string upstream_url;                   // cloud mode: base URL, e.g. https://api.openai.com/v1
    std::string upstream_model;                 // cloud mode: model name sent upstream
    int upstream_connect_timeout_s = 10;
    int upstream_read_timeout_s = 120;          // longest silence while waiting for upstream bytes
    int upstream_retries = 3;                   // extra tries on 429/5xx/refused, before any byte reached the client
    bool repack_weights = true;                 // packed copies of the weights for the fast kernels
    bool reuse_port = false;                    // SO_REUSEPORT: lets an upgrade start beside the old process
    // Threads and queues between the HTTP I/O threads and the store / engine
    // (docs/architecture.md). Thread counts are capped at kMaxServiceThreads.
    int io_threads = 2;                         // HTTP: parse, authenticate from memory, write
    int store_threads = 2;                      // each of the store's read and write executors
    int store_queue = 256;                      // store calls waiting per executor before 503
    int store_timeout_ms = 5000;                // longest a store call waits for a lock (SQLite busy timeout)
    int prep_threads = 2;                       // chat requests: history, template, tokenize
    std::size_t stream_buffer_bytes = 4 * 1024 * 1024;  // a stream's unsent bytes before its client is cut off
};

inline constexpr int kMaxServiceThreads = 64;
// A thread-count setting as used: 1..kMaxServiceThreads.
inline int service_threads(int wanted) { return wanted < 1 ? 1 : wanted > kMaxServiceThreads ? kMaxServiceThreads : wanted; }

// A HOST reachable only from this machine: the server listens there without
// an access token; anywhere else it refuses to start until one exists.
inline bool is_loopback_host(const std::string& host) {
    return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace clawbot::service
