#include "service/provider/upstream_call.h"

#include <algorithm>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>

#include "service/http/sse_reader.h"
#include "service/provider/upstream_protocol.h"

namespace clawbot::service {

using namespace upstream_net;

namespace {

// Bodies of refusals are read only to quote their message.
constexpr std::uint64_t kMaxErrorBody = 64 * 1024;
// A streamed reply longer than this is not a chat answer.
constexpr std::uint64_t kMaxStreamBody = 256u << 20;
// A non-streamed reply (an upstream that ignored "stream") is read whole.
constexpr std::uint64_t kMaxWholeBody = 16u << 20;

std::string seconds_text(std::chrono::milliseconds d) {
    const auto ms = d.count();
    return std::to_string(ms / 1000) + (ms % 1000 ? "." + std::to_string(ms % 1000 / 100) : "") + " s";
}

}  // namespace

struct UpstreamCall::Outcome {
    enum Kind { Finished, Retry, Fail, Cancelled } kind = Fail;
    StartError error{StartErrorCode::UpstreamFailed, ""};
    std::optional<int> retry_after_s;

    static Outcome finished() { return {Finished, {StartErrorCode::UpstreamFailed, ""}, std::nullopt}; }
    static Outcome cancelled() { return {Cancelled, {StartErrorCode::UpstreamFailed, ""}, std::nullopt}; }
    static Outcome retry(StartErrorCode code, std::string message, std::optional<int> after = std::nullopt) {
        return {Retry, {code, std::move(message)}, after};
    }
    static Outcome fail(StartErrorCode code, std::string message) { return {Fail, {code, std::move(message)}, std::nullopt}; }
};

UpstreamCall::UpstreamCall(std::shared_ptr<const UpstreamConfig> config, asio::any_io_executor executor,
                           asio::ssl::context& tls, CompletionRequest request, std::shared_ptr<CompletionHandler> handler,
                           UpstreamCounters& counters)
    : config_(std::move(config)), executor_(executor), tls_(tls), request_(std::move(request)),
      body_(upstream_request_body(request_, config_->model)), handler_(std::move(handler)), counters_(counters),
      backoff_timer_(executor) {
    counters_.running.fetch_add(1, std::memory_order_relaxed);
}

UpstreamCall::~UpstreamCall() { counters_.running.fetch_sub(1, std::memory_order_relaxed); }

void UpstreamCall::start() {
    asio::co_spawn(executor_, [self = shared_from_this()]() { return self->run(); }, asio::detached);
}

void UpstreamCall::cancel() {
    asio::post(executor_, [self = shared_from_this()] {
        self->cancelled_ = true;
        self->backoff_timer_.cancel();
        if (self->connection_) self->connection_->close();
    });
}

void UpstreamCall::fail(const StartError& error) {
    counters_.failures.fetch_add(1, std::memory_order_relaxed);
    handler_->on_error(error);
}

void UpstreamCall::log(std::string_view level, const std::string& line) const {
    if (config_->log) config_->log(level, line);
}

asio::awaitable<void> UpstreamCall::run() {
    for (int retry = 0;; ++retry) {
        Outcome outcome;
        try {
            outcome = co_await attempt();
        } catch (const std::exception& e) {  // allocation failure or a library bug: fail this one request only
            outcome = Outcome::fail(StartErrorCode::UpstreamFailed, std::string("upstream request failed: ") + e.what());
        }
        connection_.reset();
        if (cancelled_) outcome = Outcome::cancelled();
        const FinishKind finish = finish_kind_of(finish_reason_);
        // Usage the upstream did not report: its chunk count stands in for tokens.
        const CompletionUsage usage = usage_.value_or(CompletionUsage{0, deltas_, 0, 0});
        switch (outcome.kind) {
            case Outcome::Finished: handler_->on_done(finish, usage); co_return;
            case Outcome::Cancelled: handler_->on_done(FinishKind::Cancelled, usage); co_return;
            case Outcome::Fail: fail(outcome.error); co_return;
            case Outcome::Retry: break;
        }
        // Retrying after text reached the client would repeat it.
        if (delivered_ || retry >= config_->retries) {
            if (retry > 0) outcome.error.message += " (after " + std::to_string(retry + 1) + " tries)";
            fail(outcome.error);
            co_return;
        }
        if (outcome.retry_after_s && std::chrono::seconds(*outcome.retry_after_s) > config_->max_retry_after) {
            outcome.error.retry_after_s = *outcome.retry_after_s;  // too long to hold the client: let it decide
            fail(outcome.error);
            co_return;
        }
        const auto delay = backoff(retry, outcome);
        counters_.retries.fetch_add(1, std::memory_order_relaxed);
        log("warn", "upstream: " + outcome.error.message + "; retry " + std::to_string(retry + 1) + " of " +
                        std::to_string(config_->retries) + " in " + seconds_text(delay));
        backoff_timer_.expires_after(delay);
        beast::error_code ec;
        co_await backoff_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (cancelled_) {
            handler_->on_done(FinishKind::Cancelled, CompletionUsage{});
            co_return;
        }
    }
}

void UpstreamCall::deliver(const UpstreamChunk& chunk) {
    if (chunk.content.empty() && chunk.reasoning.empty() && chunk.tool_calls.empty() && chunk.logprobs.empty()) return;
    delivered_ = true;
    ++deltas_;
    handler_->on_delta(CompletionDelta{.content = chunk.content,
                                       .logprobs = chunk.logprobs,
                                       .reasoning = chunk.reasoning,
                                       .tool_calls = chunk.tool_calls});
}

std::chrono::milliseconds UpstreamCall::backoff(int retry, const Outcome& outcome) {
    thread_local std::minstd_rand jitter(std::random_device{}());
    auto delay = std::min(config_->backoff_cap, config_->backoff_base * (1 << std::min(retry, 16)));
    // Half to all of the step, so clients that failed together retry apart.
    delay = std::chrono::milliseconds(delay.count() / 2 + static_cast<long>(jitter() % (delay.count() / 2 + 1)));
    if (outcome.retry_after_s) delay = std::max<std::chrono::milliseconds>(delay, std::chrono::seconds(*outcome.retry_after_s));
    return delay;
}

asio::awaitable<UpstreamCall::Outcome> UpstreamCall::attempt() {
    finish_reason_.clear();  // only an attempt that delivered nothing is ever repeated
    usage_.reset();
    auto connection = std::make_shared<UpstreamConnection>(executor_, tls_, config_->endpoint);
    connection_ = connection;
    const std::string where = config_->endpoint.display();
    beast::error_code ec = co_await connection->connect(config_->connect_timeout);
    if (cancelled_) co_return Outcome::cancelled();
    if (ec == beast::error::timeout) {
        co_return Outcome::retry(StartErrorCode::UpstreamTimeout,
                                 "could not connect to the upstream " + where + " within " + seconds_text(config_->connect_timeout));
    }
    if (ec) co_return Outcome::retry(StartErrorCode::UpstreamFailed, "could not connect to the upstream " + where + ": " + ec.message());

    Request request{http::verb::post, config_->endpoint.target(request_.raw_prompt ? "/completions" : "/chat/completions"), 11};
    request.set(http::field::host, config_->endpoint.host_header);
    request.set(http::field::authorization, "Bearer " + config_->api_key);
    request.set(http::field::content_type, "application/json");
    request.set(http::field::accept, "text/event-stream");
    request.set(http::field::user_agent, "clawbot");
    request.body() = body_;
    request.prepare_payload();
    ec = co_await connection->write(request, config_->read_timeout);
    if (cancelled_) co_return Outcome::cancelled();
    if (ec) co_return Outcome::retry(StartErrorCode::UpstreamFailed, "the upstream connection broke while sending: " + ec.message());

    ResponseParser parser;
    // Streamed bodies are consumed as they come (see read_stream), so this
    // bounds the reply's total length, not memory. (Beast 1.74 mishandles
    // boost::none here: it then refuses any body with a Content-Length.)
    parser.body_limit(kMaxStreamBody);
    ec = co_await connection->read_header(parser, config_->read_timeout);
    if (cancelled_) co_return Outcome::cancelled();
    if (ec == beast::error::timeout) {
        co_return Outcome::fail(StartErrorCode::UpstreamTimeout,
                                "the upstream did not answer within " + seconds_text(config_->read_timeout));
    }
    if (ec) co_return Outcome::retry(StartErrorCode::UpstreamFailed, "the upstream closed the connection before answering (" + ec.message() + ")");
    if (parser.get().result_int() != 200) co_return co_await read_refusal(*connection, parser);
    co_return co_await read_stream(*connection, parser);
}

asio::awaitable<UpstreamCall::Outcome> UpstreamCall::read_refusal(UpstreamConnection& connection, ResponseParser& parser) {
    const int status = parser.get().result_int();
    std::optional<int> retry_after;
    if (auto it = parser.get().find(http::field::retry_after); it != parser.get().end()) {
        retry_after = parse_retry_after(std::string_view(it->value().data(), it->value().size()));
    }
    parser.body_limit(kMaxErrorBody);
    co_await connection.read_rest(parser, config_->read_timeout);  // best effort: the status decides
    if (cancelled_) co_return Outcome::cancelled();
    StartError error = upstream_refusal_error(status, parser.get().body(), config_->api_key, retry_after);
    if (upstream_refusal_retryable(status)) {
        Outcome o = Outcome::retry(error.code, std::move(error.message), retry_after);
        o.error.retry_after_s = error.retry_after_s;
        co_return o;
    }
    co_return Outcome::fail(error.code, std::move(error.message));
}

asio::awaitable<UpstreamCall::Outcome> UpstreamCall::read_stream(UpstreamConnection& connection, ResponseParser& parser) {
    const auto type = parser.get()[http::field::content_type];
    if (type.find("text/event-stream") == beast::string_view::npos) {
        // Not streamed after all: one JSON completion.
        parser.body_limit(kMaxWholeBody);
        const beast::error_code ec = co_await connection.read_rest(parser, config_->read_timeout);
        if (cancelled_) co_return Outcome::cancelled();
        if (ec == beast::error::timeout) co_return Outcome::fail(StartErrorCode::UpstreamTimeout, "the upstream reply timed out");
        if (ec) co_return Outcome::retry(StartErrorCode::UpstreamFailed, "the upstream closed the connection mid-reply");
        auto whole = parse_upstream_completion(parser.get().body());
        if (!whole) co_return Outcome::fail(StartErrorCode::UpstreamFailed, "the upstream's reply is not a chat completion");
        if (whole->error) co_return Outcome::fail(StartErrorCode::UpstreamFailed, "the upstream reported: " + redact(*whole->error, config_->api_key));
        deliver(*whole);
        finish_reason_ = whole->finish_reason.value_or("stop");
        usage_ = whole->usage;
        co_return Outcome::finished();
    }

    SseReader events;
    bool saw_finish = false;
    for (;;) {
        // Bytes already parsed come first; the parser appends at size(), so
        // consumed text can go and the body never grows past one read.
        std::string& body = parser.get().body();
        const bool framed = events.feed(body);
        body.clear();
        if (!framed) co_return Outcome::fail(StartErrorCode::UpstreamFailed, "the upstream's event stream is malformed");
        while (auto payload = events.next()) {
            if (*payload == "[DONE]") co_return Outcome::finished();
            auto chunk = parse_upstream_chunk(*payload);
            if (!chunk) continue;  // not JSON: not ours to judge, skip as clients do
            if (chunk->error) {
                const std::string message = "the upstream reported an error mid-reply: " + redact(*chunk->error, config_->api_key);
                co_return delivered_ ? Outcome::fail(StartErrorCode::UpstreamFailed, message)
                                     : Outcome::retry(StartErrorCode::UpstreamFailed, message);
            }
            deliver(*chunk);
            if (chunk->finish_reason) {
                finish_reason_ = *chunk->finish_reason;
                saw_finish = true;
            }
            if (chunk->usage) usage_ = chunk->usage;
        }
        if (parser.is_done()) break;
        const beast::error_code ec = co_await connection.read_some(parser, config_->read_timeout);
        if (cancelled_) co_return Outcome::cancelled();
        if (ec == beast::error::timeout) {
            co_return Outcome::fail(StartErrorCode::UpstreamTimeout,
                                    "the upstream went silent for " + seconds_text(config_->read_timeout) + " mid-reply");
        }
        if (ec) {
            if (saw_finish) co_return Outcome::finished();  // closed after its last word: no [DONE], still whole
            break;
        }
    }
    if (saw_finish) co_return Outcome::finished();
    const std::string message = "the upstream closed the reply before it finished";
    co_return delivered_ ? Outcome::fail(StartErrorCode::UpstreamFailed, message)
                         : Outcome::retry(StartErrorCode::UpstreamFailed, message);
}

}  // namespace clawbot::service
