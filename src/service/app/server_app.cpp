#include "service/app/server_app.h"

#include <csignal>
#include <iostream>

#include <pthread.h>

#include "service/api/api_context.h"
#include "service/api/router.h"
#include "service/app/metrics_setup.h"
#include "service/http/http_server.h"
#include "service/provider/local_provider.h"
#include "service/provider/openai_provider.h"
#include "service/store/store_factory.h"

namespace clawbot::service {
namespace {

int fail(const std::string& message) {
    std::cerr << "clawbot: error: " << message << "\n";
    return 1;
}

// Signals are taken by one thread with sigwait, so no handler runs inside
// an arbitrary thread and the waits below are plain code.
sigset_t service_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

std::unique_ptr<Provider> make_provider(const Settings& s, Logger& log, EngineObserver* observer, std::string& error) {
    if (s.provider == "openai") {
        auto config = upstream_config_from(s);
        if (!config) {
            error = config.error().message;
            return nullptr;
        }
        (*config)->log = [&log](std::string_view level, const std::string& line) { log.event(std::string(level), line); };
        log.event("info", "cloud mode: answers come from " + (*config)->endpoint.display() + ", model " + (*config)->model);
        return std::make_unique<OpenAiProvider>(std::move(*config));
    }
    if (s.model_path.empty()) {
        log.event("warn", "no MODEL_PATH set: chat requests will answer 503 until a model is configured");
        return nullptr;
    }
    EngineOptions o;
    o.threads = s.threads;
    o.context_size = s.ctx_size;
    o.max_batch_size = s.max_batch_size;
    o.max_queue = s.max_queue;
    o.observer = observer;
    auto provider = LocalProvider::create(s.model_path, o);
    if (!provider) {
        error = provider.error().message;
        return nullptr;
    }
    return std::move(*provider);
}

HttpServerOptions http_options(const Settings& s, Logger& log) {
    HttpServerOptions o;
    o.host = s.host;
    o.port = static_cast<uint16_t>(s.port);
    o.max_body_bytes = s.max_body_bytes;
    o.max_header_bytes = s.max_header_bytes;
    o.header_timeout = std::chrono::seconds(s.header_timeout_s);
    o.max_connections = static_cast<size_t>(s.max_connections);
    o.reuse_port = s.reuse_port;
    o.error_log = [&log](std::string_view message) { log.event("error", std::string(message)); };
    return o;
}

}  // namespace

int run_server(const Settings& settings) {
    const sigset_t signals = service_signals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // inherited by every thread started below

    auto log = Logger::open(settings.log_file);
    if (!log) return fail(log.error().message);
    auto opened = open_store(settings);
    if (!opened) return fail(opened.error().message);
    ConversationStore& store = *opened->store;
    (*log)->event("info", "store: " + opened->description);
    for (const std::string& warning : opened->warnings) (*log)->event("warn", "store: " + warning);
    if (!is_loopback_host(settings.host)) {
        auto tokens = store.count_active_tokens();
        if (!tokens) return fail(tokens.error().message);
        if (*tokens == 0) {
            return fail("refusing to listen on " + settings.host + " while no access token exists; create one with "
                        "`clawbot token create --admin` (or `clawbot init`), or use HOST=127.0.0.1");
        }
    }
    MetricsRegistry registry;
    ServiceMetrics metrics(registry);
    EngineMetrics engine_metrics(registry);
    std::string provider_error;
    std::unique_ptr<Provider> provider = make_provider(settings, **log, &engine_metrics, provider_error);
    if (!provider && !provider_error.empty()) return fail(provider_error);

    WorkQueue blocking(2);
    InflightLimit inflight(settings.max_concurrent_requests);
    ApiContext ctx{settings, store, provider.get(), registry, metrics, **log, blocking, inflight};
    ApiRouter router(ctx);
    HttpServer server(http_options(settings, **log), router);
    register_runtime_metrics(registry, server, provider.get(), settings.max_queue);
    if (auto ok = server.listen(); !ok) return fail(ok.error().message);
    server.start(2);
    std::cerr << "clawbot: listening on http://" << settings.host << ":" << server.port() << std::endl;
    (*log)->event("info", "listening on " + settings.host + ":" + std::to_string(server.port()) +
                             (provider ? ", model " + provider->model_name() : ", no model"));

    for (;;) {
        int sig = 0;
        sigwait(&signals, &sig);
        if (sig == SIGHUP) {
            (*log)->reopen();
            (*log)->event("info", "log file reopened");
            continue;
        }
        break;
    }
    (*log)->event("info", "draining");
    const bool drained = server.drain(std::chrono::seconds(settings.drain_timeout_s));
    server.stop();
    // The engine goes before the work queue: requests it cancels post nothing.
    ctx.provider = nullptr;
    provider.reset();
    (*log)->event("info", drained ? "stopped" : "stopped (drain timed out)");
    return 0;
}

}  // namespace clawbot::service
