#include "cli/loadtest_client.h"

#include <cstdint>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "service/http/sse_reader.h"

namespace clawbot::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// A reply body past this is not a chat completion; the cap keeps a broken
// server from filling memory before the deadline.
constexpr std::uint64_t kMaxBodyBytes = 64ull << 20;
constexpr std::uint64_t kMaxErrorBodyBytes = 64u << 10;

RequestOutcome failed(std::string kind) {
    RequestOutcome r;
    r.error = std::move(kind);
    return r;
}

// Errors after the connection was made: the deadline, or the peer going away.
std::string io_kind(const beast::error_code& ec) { return ec == beast::error::timeout ? "timeout" : "disconnect"; }

http::request<http::string_body> make_request(const CompletionCall& call, std::string body) {
    http::request<http::string_body> req{http::verb::post, call.target->base_path + "/v1/chat/completions", 11};
    req.set(http::field::host, call.target->host_header);
    req.set(http::field::authorization, "Bearer " + call.bearer);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::accept, "text/event-stream");
    req.set(http::field::user_agent, "clawbot-loadtest");
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
}

void close_quietly(beast::tcp_stream& stream) {
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
}

// Reads the event stream of a 200 response to its end, feeding every chunk
// to `measured` with the time its bytes arrived.
asio::awaitable<std::string> read_events(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                         http::response_parser<http::string_body>& parser,
                                         CompletionStream& measured) {
    service::SseReader sse;
    beast::error_code ec;
    for (;;) {
        // Bytes the header read already pulled into the body come first.
        std::string& body = parser.get().body();
        const bool fits = sse.feed(body);
        body.clear();  // the parser appends at size(), so consumed text can go
        if (!fits) co_return "malformed";
        const auto now = LoadClock::now();
        while (auto payload = sse.next()) measured.on_payload(*payload, now);
        if (measured.finished() || parser.is_done()) co_return "";
        co_await http::async_read_some(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == http::error::end_of_stream || ec == http::error::partial_message) co_return "disconnect";
        if (ec == http::error::body_limit) co_return "malformed";
        if (ec) co_return io_kind(ec);
    }
}

// The "code" of an error body {"error": {"code": ...}}, or "" when the body
// is not one (or does not arrive before the deadline).
asio::awaitable<std::string> read_error_code(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                             http::response_parser<http::string_body>& parser) {
    beast::error_code ec;
    parser.body_limit(kMaxErrorBodyBytes);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return "";
    const auto body = nlohmann::json::parse(parser.get().body(), nullptr, false);
    if (!body.is_object() || !body.contains("error") || !body["error"].is_object()) co_return "";
    const auto& code = body["error"]["code"];
    co_return code.is_string() ? code.get<std::string>() : "";
}

asio::awaitable<RequestOutcome> run_exchange(const CompletionCall& call, std::string body) {
    const auto started = LoadClock::now();
    beast::tcp_stream stream(co_await asio::this_coro::executor);
    stream.expires_after(call.timeout);  // not re-armed: one deadline for the request
    beast::error_code ec;
    co_await stream.async_connect(call.endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed(ec == beast::error::timeout ? "timeout" : "connect");

    auto req = make_request(call, std::move(body));
    co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed(io_kind(ec));

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxBodyBytes);
    co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::end_of_stream) co_return failed("disconnect");
    if (ec) co_return failed(ec == beast::error::timeout ? "timeout" : "malformed");
    // Any refusal counts by its status; a 429 is not retried, because the
    // point is to see how much the server turns away.
    const int status = parser.get().result_int();
    if (status != 200) {
        RequestOutcome refused = failed(std::to_string(status));
        refused.error_code = co_await read_error_code(stream, buffer, parser);
        close_quietly(stream);
        co_return refused;
    }

    CompletionStream measured(started);
    const std::string read_error = co_await read_events(stream, buffer, parser, measured);
    close_quietly(stream);
    RequestOutcome out = measured.take();
    if (!read_error.empty() && out.error.empty()) out.error = read_error;
    co_return out;
}

}  // namespace

asio::awaitable<RequestOutcome> stream_completion(const CompletionCall& call, std::string body) {
    try {
        co_return co_await run_exchange(call, std::move(body));
    } catch (const std::exception&) {
        // Only allocation failure or a library bug lands here; count it
        // rather than let one request end the run.
    }
    co_return failed("client_error");
}

asio::awaitable<std::string> probe_target(const CompletionCall& call, std::chrono::seconds timeout) {
    beast::tcp_stream stream(co_await asio::this_coro::executor);
    stream.expires_after(timeout);
    beast::error_code ec;
    co_await stream.async_connect(call.endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return "cannot connect to " + call.target->host_header + ": " + ec.message();
    close_quietly(stream);
    co_return "";
}

}  // namespace clawbot::cli
