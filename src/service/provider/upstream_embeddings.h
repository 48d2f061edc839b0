#pragma once
// Cloud mode's /v1/embeddings: one POST to the upstream's /embeddings with
// every input, its vectors handed back in order. Retried (with the
// completions' backoff) on 429, 5xx and a failed connection, since nothing
// has reached the client before the whole answer is in.
#include <memory>
#include <string>
#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange without it
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "service/provider/upstream_call.h"

namespace clawbot::service {

class UpstreamEmbeddingCall final : public std::enable_shared_from_this<UpstreamEmbeddingCall> {
public:
    UpstreamEmbeddingCall(std::shared_ptr<const UpstreamConfig> config, boost::asio::any_io_executor executor,
                          boost::asio::ssl::context& tls, std::vector<std::string> inputs,
                          std::shared_ptr<EmbeddingHandler> handler, UpstreamCounters& counters);
    ~UpstreamEmbeddingCall();

    void start();
    // Thread-safe: the handler then hears nothing more (its client is gone).
    void cancel();

private:
    boost::asio::awaitable<void> run();
    // nullopt: retry; else the error to give (an empty message: answered).
    boost::asio::awaitable<std::optional<StartError>> attempt(StartError& retry_reason);

    std::shared_ptr<const UpstreamConfig> config_;
    boost::asio::any_io_executor executor_;
    boost::asio::ssl::context& tls_;
    const size_t inputs_;
    const std::string body_;
    std::shared_ptr<EmbeddingHandler> handler_;
    UpstreamCounters& counters_;
    boost::asio::steady_timer backoff_timer_;
    std::shared_ptr<UpstreamConnection> connection_;
    bool cancelled_ = false;  // touched on the executor only
};

}  // namespace clawbot::service
