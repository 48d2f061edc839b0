#include "service/provider/upstream_embeddings.h"

#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>

#include "service/provider/upstream_protocol.h"

namespace clawbot::service {

using namespace upstream_net;

namespace {

constexpr std::uint64_t kMaxErrorBody = 64 * 1024;
// 64 inputs of a few thousand dimensions, as JSON text.
constexpr std::uint64_t kMaxEmbeddingsBody = 64u << 20;

}  // namespace

UpstreamEmbeddingCall::UpstreamEmbeddingCall(std::shared_ptr<const UpstreamConfig> config, asio::any_io_executor executor,
                                             asio::ssl::context& tls, std::vector<std::string> inputs,
                                             std::shared_ptr<EmbeddingHandler> handler, UpstreamCounters& counters)
    : config_(std::move(config)), executor_(executor), tls_(tls), inputs_(inputs.size()),
      body_(upstream_embeddings_body(inputs, config_->model)), handler_(std::move(handler)), counters_(counters),
      backoff_timer_(executor) {
    counters_.running.fetch_add(1, std::memory_order_relaxed);
}

UpstreamEmbeddingCall::~UpstreamEmbeddingCall() { counters_.running.fetch_sub(1, std::memory_order_relaxed); }

void UpstreamEmbeddingCall::start() {
    asio::co_spawn(executor_, [self = shared_from_this()]() { return self->run(); }, asio::detached);
}

void UpstreamEmbeddingCall::cancel() {
    asio::post(executor_, [self = shared_from_this()] {
        self->cancelled_ = true;
        self->backoff_timer_.cancel();
        if (self->connection_) self->connection_->close();
    });
}

asio::awaitable<void> UpstreamEmbeddingCall::run() {
    thread_local std::minstd_rand jitter(std::random_device{}());
    for (int retry = 0;; ++retry) {
        StartError reason{StartErrorCode::UpstreamFailed, ""};
        std::optional<StartError> result;
        try {
            result = co_await attempt(reason);
        } catch (const std::exception& e) {
            result = StartError{StartErrorCode::UpstreamFailed, std::string("upstream request failed: ") + e.what()};
        }
        connection_.reset();
        if (cancelled_) co_return;
        if (result) {
            if (!result->message.empty()) {
                counters_.failures.fetch_add(1, std::memory_order_relaxed);
                handler_->on_error(*result);
            }
            co_return;
        }
        if (retry >= config_->retries) {
            counters_.failures.fetch_add(1, std::memory_order_relaxed);
            reason.message += " (after " + std::to_string(retry + 1) + " tries)";
            handler_->on_error(reason);
            co_return;
        }
        auto delay = std::min(config_->backoff_cap, config_->backoff_base * (1 << std::min(retry, 16)));
        delay = std::chrono::milliseconds(delay.count() / 2 + static_cast<long>(jitter() % (delay.count() / 2 + 1)));
        counters_.retries.fetch_add(1, std::memory_order_relaxed);
        if (config_->log) config_->log("warn", "upstream embeddings: " + reason.message + "; retrying");
        backoff_timer_.expires_after(delay);
        beast::error_code ec;
        co_await backoff_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (cancelled_) co_return;
    }
}

asio::awaitable<std::optional<StartError>> UpstreamEmbeddingCall::attempt(StartError& retry_reason) {
    const auto retry = [&](StartErrorCode code, std::string message) -> std::optional<StartError> {
        retry_reason = StartError{code, std::move(message)};
        return std::nullopt;
    };
    auto connection = std::make_shared<UpstreamConnection>(executor_, tls_, config_->endpoint);
    connection_ = connection;
    const std::string where = config_->endpoint.display();
    beast::error_code ec = co_await connection->connect(config_->connect_timeout);
    if (cancelled_) co_return StartError{StartErrorCode::UpstreamFailed, ""};
    if (ec) co_return retry(ec == beast::error::timeout ? StartErrorCode::UpstreamTimeout : StartErrorCode::UpstreamFailed,
                            "could not connect to the upstream " + where + ": " + ec.message());

    Request request{http::verb::post, config_->endpoint.target("/embeddings"), 11};
    request.set(http::field::host, config_->endpoint.host_header);
    request.set(http::field::authorization, "Bearer " + config_->api_key);
    request.set(http::field::content_type, "application/json");
    request.set(http::field::user_agent, "clawbot");
    request.body() = body_;
    request.prepare_payload();
    ec = co_await connection->write(request, config_->read_timeout);
    if (cancelled_) co_return StartError{StartErrorCode::UpstreamFailed, ""};
    if (ec) co_return retry(StartErrorCode::UpstreamFailed, "the upstream connection broke while sending: " + ec.message());

    ResponseParser parser;
    parser.body_limit(kMaxEmbeddingsBody);
    ec = co_await connection->read_header(parser, config_->read_timeout);
    if (cancelled_) co_return StartError{StartErrorCode::UpstreamFailed, ""};
    if (ec == beast::error::timeout) co_return StartError{StartErrorCode::UpstreamTimeout, "the upstream did not answer in time"};
    if (ec) co_return retry(StartErrorCode::UpstreamFailed, "the upstream closed the connection before answering");
    const int status = parser.get().result_int();
    if (status != 200) {
        std::optional<int> retry_after;
        if (auto it = parser.get().find(http::field::retry_after); it != parser.get().end()) {
            retry_after = parse_retry_after(std::string_view(it->value().data(), it->value().size()));
        }
        parser.body_limit(kMaxErrorBody);
        co_await connection->read_rest(parser, config_->read_timeout);  // best effort: the status decides
        StartError error = upstream_refusal_error(status, parser.get().body(), config_->api_key, retry_after);
        // A Retry-After longer than a client would wait goes to the client.
        const bool patient = !retry_after || std::chrono::seconds(*retry_after) <= config_->max_retry_after;
        if (upstream_refusal_retryable(status) && patient) co_return retry(error.code, std::move(error.message));
        co_return error;
    }
    ec = co_await connection->read_rest(parser, config_->read_timeout);
    if (cancelled_) co_return StartError{StartErrorCode::UpstreamFailed, ""};
    if (ec == beast::error::timeout) co_return StartError{StartErrorCode::UpstreamTimeout, "the upstream reply timed out"};
    if (ec) co_return retry(StartErrorCode::UpstreamFailed, "the upstream closed the connection mid-reply");
    auto parsed = parse_upstream_embeddings(parser.get().body(), inputs_);
    if (!parsed) co_return StartError{StartErrorCode::UpstreamFailed, parsed.error().message};
    handler_->on_embeddings(std::move(parsed->vectors), parsed->prompt_tokens);
    co_return StartError{StartErrorCode::UpstreamFailed, ""};  // answered
}

}  // namespace clawbot::service
