#include "service/app/server_app.h"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <iostream>

#include <pthread.h>

#include <boost/asio/ip/address.hpp>

#include "service/api/api_context.h"
#include "service/api/router.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model/model_config.h"
#include "engine/model/model_facts.h"
#include "service/app/host_memory.h"
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

std::string mib(std::uint64_t bytes) { return std::to_string((bytes + (1u << 19)) >> 20) + " MiB"; }

// Before the model loads: the memory serving it takes (model_facts.h, the
// figures `clawbot show` and `doctor` print) against what this host and its
// cgroup have. A shortfall is a warning, not a refusal: the kernel may still
// find the room (page cache, swap), and the operator sees why if not.
void warn_if_memory_short(const Settings& s, Logger& log) {
    auto file = gguf::GgufFile::open(s.model_path);
    if (!file) return;  // the load below reports what is wrong with the file
    auto config = read_model_config(**file);
    if (!config) return;
    const ServingMemory need = serving_memory(*config, weight_memory(**file, s.repack_weights), s.ctx_size, s.max_batch_size);
    const HostMemory host = read_host_memory();
    const std::string what = "serving this model takes about " + mib(need.total()) + " (weights " + mib(need.weights) +
                             " + KV cache " + mib(static_cast<std::uint64_t>(need.kv.bytes())) + " for " +
                             std::to_string(need.kv.tokens) + " tokens)";
    if (host.total == 0) {
        log.event("info", "memory: " + what);
    } else if (need.total() > host.limit()) {
        log.event("warn", "memory: " + what + ", more than this machine's " + mib(host.limit()) +
                              ": lower CTX_SIZE or MAX_BATCH_SIZE, or use a smaller or more quantized model");
    } else if (need.total() > host.available) {
        log.event("warn", "memory: " + what + ", more than the " + mib(host.available) + " available now");
    } else {
        log.event("info", "memory: " + what + "; " + mib(host.available) + " available");
    }
}

// A chat template is a few KiB; a file far larger is a wrong path.
Result<std::string> read_chat_template_file(const std::string& path) {
    constexpr std::uintmax_t kMaxTemplateBytes = 1 << 20;
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec) return make_error("CHAT_TEMPLATE_FILE " + path + ": " + ec.message());
    if (size > kMaxTemplateBytes) return make_error("CHAT_TEMPLATE_FILE " + path + ": larger than 1 MiB, not a chat template");
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in && !in.eof()) return make_error("CHAT_TEMPLATE_FILE " + path + ": cannot be read");
    if (text.empty()) return make_error("CHAT_TEMPLATE_FILE " + path + ": the file is empty");
    return text;
}

std::unique_ptr<Provider> make_provider(const Settings& s, Logger& log, EngineObserver* observer, WorkQueue& delivery,
                                        std::string& error) {
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
    warn_if_memory_short(s, log);
    EngineOptions o;
    o.threads = s.threads;
    o.context_size = s.ctx_size;
    o.max_batch_size = s.max_batch_size;
    o.max_queue = s.max_queue;
    o.observer = observer;
    std::optional<std::string> chat_template;
    if (!s.chat_template_file.empty()) {
        auto text = read_chat_template_file(s.chat_template_file);
        if (!text) {
            error = text.error().message;
            return nullptr;
        }
        chat_template = std::move(*text);
    }
    auto deliver = [&delivery](std::function<void()> drain) { delivery.post(std::move(drain)); };
    auto provider =
        LocalProvider::create(s.model_path, LoadOptions{.repack = s.repack_weights}, o, std::move(deliver), chat_template);
    if (!provider) {
        error = (chat_template ? "CHAT_TEMPLATE_FILE " + s.chat_template_file + ": " : std::string()) +
                provider.error().message;
        return nullptr;
    }
    if (chat_template) log.event("info", "chat template from " + s.chat_template_file + ", not the model's");
    const PackingReport& packing = (*provider)->model().packing();
    log.event("info", "model loaded: " + std::to_string(packing.matrices) + " matrices repacked for the fast kernels (" +
                          std::to_string(packing.bytes >> 20) + " MiB) in " +
                          std::to_string(static_cast<int>(packing.seconds * 1000)) + " ms" +
                          (s.repack_weights ? "" : " (REPACK_WEIGHTS=0)"));
    return std::move(*provider);
}

// "10.0.0.5, ::1" -> {"10.0.0.5", "::1"}, each in the form the listener
// compares with (inet_ntop's), so "::0001" and "::1" are the same client.
std::vector<std::string> split_address_list(const std::string& list) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at <= list.size()) {
        const std::size_t comma = std::min(list.find(',', at), list.size());
        std::string item = list.substr(at, comma - at);
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (!item.empty()) {
            boost::system::error_code ec;
            const auto address = boost::asio::ip::make_address(item, ec);
            out.push_back(ec ? item : address.to_string());
        }
        at = comma + 1;
    }
    return out;
}

HttpServerOptions http_options(const Settings& s, Logger& log) {
    HttpServerOptions o;
    o.host = s.host;
    o.port = static_cast<uint16_t>(s.port);
    o.max_body_bytes = s.max_body_bytes;
    o.max_header_bytes = s.max_header_bytes;
    o.header_timeout = std::chrono::seconds(s.header_timeout_s);
    o.request_line_timeout = std::chrono::seconds(s.request_line_timeout_s);
    o.max_connections = static_cast<size_t>(s.max_connections);
    o.max_connections_per_client = static_cast<size_t>(s.max_connections_per_client);
    o.per_client_exempt = split_address_list(s.connection_limit_exempt);
    o.reserved_ops_connections = static_cast<size_t>(s.reserved_ops_connections);
    o.max_buffered_body_bytes = s.max_buffered_body_bytes;
    o.max_stream_buffer_bytes = s.stream_buffer_bytes;
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
    {
        auto tokens = store.count_active_tokens();
        if (!tokens) return fail(tokens.error().message);
        if (*tokens == 0 && !is_loopback_host(settings.host)) {
            return fail("refusing to listen on " + settings.host + " while no access token exists; create one with "
                        "`clawbot token create --admin` (or `clawbot init`), or use HOST=127.0.0.1");
        }
        // Every API request needs a token: with none, an empty store is
        // most often not the store the tokens were made in.
        if (*tokens == 0) {
            (*log)->event("warn", "no access tokens in " + opened->description +
                                      ": every API request is refused until one exists (`clawbot init`, or "
                                      "`clawbot token create --admin`); tokens made before are in another store "
                                      "(check DATA_DIR, STORE and --config)");
        }
    }
    MetricsRegistry registry;
    ServiceMetrics metrics(registry);
    EngineMetrics engine_metrics(registry);
    // Each request's output, from the engine thread to its connection: one
    // drain at a time per request (delivery_sink.h). Declared before the
    // provider is made, shut down after it is gone.
    WorkQueue delivery(service_threads(settings.io_threads));
    std::string provider_error;
    std::unique_ptr<Provider> provider = make_provider(settings, **log, &engine_metrics, delivery, provider_error);
    if (!provider && !provider_error.empty()) return fail(provider_error);

    // Every token in memory before the first request; reloaded every second.
    TokenCache tokens([&store] { return store.list_stored_tokens(); }, TokenCache::Options{});
    if (auto loaded = tokens.start(); !loaded) return fail("cannot read the access tokens: " + loaded.error().message);

    const auto store_queue = static_cast<std::size_t>(settings.store_queue);
    WorkQueue store_writes(service_threads(settings.store_threads), store_queue);
    WorkQueue store_reads(service_threads(settings.store_threads), store_queue);
    // As many chat requests may wait to be prepared as may be in flight
    // (and at least a burst's worth, so a small MAX_CONCURRENT_REQUESTS
    // still answers its own 429).
    WorkQueue prep(service_threads(settings.prep_threads), static_cast<std::size_t>(std::max(settings.max_concurrent_requests, 64)));
    InflightLimit inflight(settings.max_concurrent_requests);
    TokenRateLimiter rate_limiter(settings.rate_limit_requests_per_minute, settings.rate_limit_tokens_per_minute);
    const CorsPolicy cors(settings.cors_origins);
    const ModelNames model_names(provider ? provider->model_name() : std::string(), settings.model_aliases);
    ApiContext ctx{settings,     store,       provider.get(), registry,     metrics, **log,
                   store_writes, store_reads, inflight,       prep,         rate_limiter, tokens, model_names, cors};
    ApiRouter router(ctx);
    HttpServer server(http_options(settings, **log), router);
    register_runtime_metrics(registry, server, provider.get(), settings.max_queue);
    register_queue_metrics(registry, {{"store_read", &store_reads},
                                      {"store_write", &store_writes},
                                      {"prep", &prep},
                                      {"delivery", &delivery}});
    if (auto ok = server.listen(); !ok) return fail(ok.error().message);
    server.start(service_threads(settings.io_threads));
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
    prep.shut_down();  // no chat request reaches the provider after this
    store_reads.shut_down();
    // The engine goes before the work queue: requests it cancels post nothing.
    ctx.provider = nullptr;
    provider.reset();
    delivery.shut_down();  // the cancelled requests' last events, then their store writes
    (*log)->event("info", drained ? "stopped" : "stopped (drain timed out)");
    return 0;
}

}  // namespace clawbot::service
