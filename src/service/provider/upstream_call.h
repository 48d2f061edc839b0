#pragma once
// One cloud-mode completion: sends the chat to the upstream, streams its
// reply into the handler as it arrives, and retries (with backoff) on 429,
// 5xx, a refused connection or one closed before answering, but only while
// nothing has reached the handler yet. After that a failure is an error for
// the client: text it has already seen is never sent twice.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange without it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "service/provider/provider.h"
#include "service/provider/upstream_connection.h"
#include "service/provider/upstream_endpoint.h"
#include "service/provider/upstream_protocol.h"

namespace clawbot::service {

struct UpstreamConfig {
    UpstreamEndpoint endpoint;
    std::string model;
    std::string api_key;  // secret: sent only in the Authorization header
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds read_timeout{120'000};
    int retries = 3;
    std::chrono::milliseconds backoff_base{250};  // doubled per retry, with jitter
    std::chrono::milliseconds backoff_cap{8'000};
    std::chrono::seconds max_retry_after{30};      // a longer Retry-After is passed to the client instead
    // level ("warn", "error") and one line; never given the key.
    std::function<void(std::string_view, const std::string&)> log;
};

// Live figures of one provider's calls, for /metrics.
struct UpstreamCounters {
    std::atomic<int> running{0};
    std::atomic<uint64_t> retries{0};
    std::atomic<uint64_t> failures{0};
};

class UpstreamCall final : public std::enable_shared_from_this<UpstreamCall> {
public:
    UpstreamCall(std::shared_ptr<const UpstreamConfig> config, boost::asio::any_io_executor executor,
                 boost::asio::ssl::context& tls, CompletionRequest request, std::shared_ptr<CompletionHandler> handler,
                 UpstreamCounters& counters);
    ~UpstreamCall();

    void start();
    // Thread-safe. The handler then gets on_done(Cancelled).
    void cancel();

private:
    struct Outcome;
    boost::asio::awaitable<void> run();
    boost::asio::awaitable<Outcome> attempt();
    boost::asio::awaitable<Outcome> read_stream(UpstreamConnection& connection, upstream_net::ResponseParser& parser);
    boost::asio::awaitable<Outcome> read_refusal(UpstreamConnection& connection, upstream_net::ResponseParser& parser);
    std::chrono::milliseconds backoff(int retry, const Outcome& outcome);
    // Passes a chunk's text, reasoning, tool calls and log probabilities on.
    void deliver(const UpstreamChunk& chunk);
    void log(std::string_view level, const std::string& line) const;
    void fail(const StartError& error);

    std::shared_ptr<const UpstreamConfig> config_;
    boost::asio::any_io_executor executor_;
    boost::asio::ssl::context& tls_;
    CompletionRequest request_;
    std::string body_;
    std::shared_ptr<CompletionHandler> handler_;
    UpstreamCounters& counters_;
    boost::asio::steady_timer backoff_timer_;
    std::shared_ptr<UpstreamConnection> connection_;  // of the attempt in progress
    bool cancelled_ = false;                          // touched on the executor only
    bool delivered_ = false;                          // some text reached the handler
    int deltas_ = 0;
    std::string finish_reason_;
    std::optional<CompletionUsage> usage_;
};

}  // namespace clawbot::service
