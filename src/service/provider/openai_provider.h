#pragma once
// Cloud mode: answers come from an OpenAI-compatible upstream
// (PROVIDER=openai, UPSTREAM_URL, UPSTREAM_MODEL, API_KEY). Each completion
// is one streamed upstream request on this provider's I/O thread; the
// service above sees the same Provider as with the local engine.
#include <atomic>
#include <memory>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "common/result.h"
#include "service/config/settings.h"
#include "service/provider/provider.h"
#include "service/provider/upstream_call.h"

namespace clawbot::service {

// UPSTREAM_* and API_KEY checked and turned into a config; the error names
// the missing or bad setting.
Result<std::shared_ptr<UpstreamConfig>> upstream_config_from(const Settings& settings);

class OpenAiProvider final : public Provider {
public:
    explicit OpenAiProvider(std::shared_ptr<const UpstreamConfig> config);
    ~OpenAiProvider() override;  // cancels what is in flight, then joins the I/O thread

    std::string model_name() const override { return config_->model; }
    std::optional<std::string> not_ready_reason() const override { return std::nullopt; }
    // The upstream enforces its own limits; this only bounds max_tokens.
    int context_size() const override { return 1 << 20; }
    bool forwards_openai_fields() const override { return true; }
    StartResult start(const CompletionRequest& request, std::shared_ptr<CompletionHandler> handler) override;
    // The upstream's /embeddings, asked for floats.
    StartResult embed(std::vector<std::string> inputs, std::shared_ptr<EmbeddingHandler> handler) override;
    Load load() const override;

private:
    // Declared before io_: calls destroyed with io_ still count down
    // counters_ and use tls_.
    std::shared_ptr<const UpstreamConfig> config_;
    UpstreamCounters counters_;
    std::atomic<uint64_t> generated_{0};
    boost::asio::ssl::context tls_;
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::thread thread_;
};

}  // namespace clawbot::service
