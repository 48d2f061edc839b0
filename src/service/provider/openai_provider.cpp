#include "service/provider/openai_provider.h"

#include "service/provider/upstream_connection.h"
#include "service/provider/upstream_embeddings.h"

namespace clawbot::service {
namespace {

// Call: UpstreamCall or UpstreamEmbeddingCall.
template <class Call>
class UpstreamControl final : public CompletionControl {
public:
    explicit UpstreamControl(std::weak_ptr<Call> call) : call_(std::move(call)) {}
    void cancel() override {
        if (auto call = call_.lock()) call->cancel();
    }

private:
    std::weak_ptr<Call> call_;  // a finished call is gone: cancelling it is a no-op
};

// Counts generated text for /metrics on its way to the route's handler.
class CountingHandler final : public CompletionHandler {
public:
    CountingHandler(std::shared_ptr<CompletionHandler> inner, std::atomic<uint64_t>& generated)
        : inner_(std::move(inner)), generated_(generated) {}
    void on_delta(const CompletionDelta& delta) override { inner_->on_delta(delta); }
    void on_done(FinishKind finish, const CompletionUsage& usage) override {
        generated_.fetch_add(static_cast<uint64_t>(std::max(usage.completion_tokens, 0)), std::memory_order_relaxed);
        inner_->on_done(finish, usage);
    }
    void on_error(const StartError& error) override { inner_->on_error(error); }
    void on_queued(int position) override { inner_->on_queued(position); }

private:
    std::shared_ptr<CompletionHandler> inner_;
    std::atomic<uint64_t>& generated_;
};

}  // namespace

Result<std::shared_ptr<UpstreamConfig>> upstream_config_from(const Settings& s) {
    if (s.upstream_url.empty()) return make_error("PROVIDER=openai needs UPSTREAM_URL (e.g. https://api.openai.com/v1)");
    if (s.upstream_model.empty()) return make_error("PROVIDER=openai needs UPSTREAM_MODEL (the model name to ask the upstream for)");
    if (s.api_key.empty()) return make_error("PROVIDER=openai needs API_KEY (put it in the 0600 config file)");
    auto endpoint = parse_upstream_url(s.upstream_url);
    if (!endpoint) return endpoint.error();
    auto config = std::make_shared<UpstreamConfig>();
    config->endpoint = std::move(*endpoint);
    config->model = s.upstream_model;
    config->api_key = s.api_key;
    config->connect_timeout = std::chrono::seconds(s.upstream_connect_timeout_s);
    config->read_timeout = std::chrono::seconds(s.upstream_read_timeout_s);
    config->retries = s.upstream_retries;
    return config;
}

OpenAiProvider::OpenAiProvider(std::shared_ptr<const UpstreamConfig> config)
    : config_(std::move(config)), tls_(make_upstream_tls_context()), work_(io_.get_executor()),
      thread_([this] { io_.run(); }) {}

OpenAiProvider::~OpenAiProvider() {
    // Calls still running hold their handlers; dropping them with the
    // io_context answers their clients (a handler let go answers 500).
    work_.reset();
    io_.stop();
    thread_.join();
}

StartResult OpenAiProvider::start(const CompletionRequest& request, std::shared_ptr<CompletionHandler> handler) {
    auto counted = std::make_shared<CountingHandler>(std::move(handler), generated_);
    auto call = std::make_shared<UpstreamCall>(config_, io_.get_executor(), tls_, request, std::move(counted), counters_);
    call->start();
    return std::shared_ptr<CompletionControl>(std::make_shared<UpstreamControl<UpstreamCall>>(call));
}

StartResult OpenAiProvider::embed(std::vector<std::string> inputs, std::shared_ptr<EmbeddingHandler> handler) {
    auto call = std::make_shared<UpstreamEmbeddingCall>(config_, io_.get_executor(), tls_, std::move(inputs), std::move(handler),
                                                        counters_);
    call->start();
    return std::shared_ptr<CompletionControl>(std::make_shared<UpstreamControl<UpstreamEmbeddingCall>>(call));
}

Provider::Load OpenAiProvider::load() const {
    Load load;
    load.running = counters_.running.load(std::memory_order_relaxed);
    load.upstream_retries = counters_.retries.load(std::memory_order_relaxed);
    load.upstream_failures = counters_.failures.load(std::memory_order_relaxed);
    load.generated_tokens = generated_.load(std::memory_order_relaxed);
    return load;
}

}  // namespace clawbot::service
