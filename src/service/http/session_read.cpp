// Reading one request: the header under header_timeout and header_limit,
// then the body under body_timeout and body_limit; failures become 400, 413
// or 431 (then close), or a silent close for timeouts and vanished clients.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <limits>

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include "service/http/request_conversion.h"
#include "service/http/session.h"
#include "service/http/session_exchange.h"
#include "service/http/wire_format.h"

namespace clawbot::service {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

void Session::read_request() {
    phase_ = Phase::reading_request;
    const HttpServerOptions& options = core_->options();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(static_cast<std::uint64_t>(options.max_body_bytes));
    // Armed once for the whole header, not per read: a client trickling one
    // byte at a time still runs out of time.
    stream_.expires_after(options.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header_read, shared_from_this()));
}

void Session::on_header_read(beast::error_code ec, std::size_t) {
    if (phase_ == Phase::closed) return;
    if (ec) return fail_request(ec);
    if (parser_->is_done()) return dispatch_request();
    if (expects_continue(parser_->get())) return send_continue();
    read_body();
}

void Session::send_continue() {
    stream_.expires_after(core_->options().write_timeout);
    net::async_write(stream_, net::buffer(kContinueResponse.data(), kContinueResponse.size()),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         if (self->phase_ == Phase::closed) return;
                         if (ec) return self->fail_request(ec);
                         self->read_body();
                     });
}

void Session::read_body() {
    stream_.expires_after(core_->options().body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_body_read, shared_from_this()));
}

void Session::on_body_read(beast::error_code ec, std::size_t) {
    if (phase_ == Phase::closed) return;
    if (ec) return fail_request(ec);
    dispatch_request();
}

void Session::fail_request(beast::error_code ec) {
    ServerCounters& counters = core_->counters();
    const HttpServerOptions& options = core_->options();
    if (ec == http::error::header_limit) {
        counters.requests_header_too_large.fetch_add(1);
        return answer_error_and_close(431, "header_too_large",
                                      "request header exceeds " +
                                          std::to_string(options.max_header_bytes) + " bytes");
    }
    if (ec == http::error::body_limit) {
        counters.requests_body_too_large.fetch_add(1);
        return answer_error_and_close(413, "payload_too_large",
                                      "request body exceeds " +
                                          std::to_string(options.max_body_bytes) + " bytes");
    }
    if (ec == beast::error::timeout) counters.timeouts.fetch_add(1);
    // A client that left (before or in the middle of a request) or timed
    // out gets no answer; anything else the parser rejected is malformed.
    const bool client_gone = ec == http::error::end_of_stream || ec == http::error::partial_message;
    const bool parse_error = ec.category() == http::make_error_code(http::error::bad_target).category();
    if (!parse_error || client_gone) return close();
    counters.requests_malformed.fetch_add(1);
    answer_error_and_close(400, "bad_request", "malformed request: " + ec.message());
}

void Session::answer_error_and_close(int status, std::string_view code, std::string message) {
    phase_ = Phase::exchanging;
    keep_alive_after_exchange_ = false;
    request_left_unread_ = true;
    const HttpResponse response = json_error_response(status, code, message);
    ResponseHead head;
    head.status = status;
    head.headers = &response.headers;
    head.content_length = response.body.size();
    head.keep_alive = false;
    complete_response(serialize_response_head(head) + response.body);
}

void Session::dispatch_request() {
    HttpRequest request = to_http_request(parser_->release(), remote_address_);
    parser_.reset();
    head_request_ = request.method == "HEAD";
    request_version_ = request.version;
    client_keep_alive_ = request.keep_alive;
    keep_alive_after_exchange_ = false;
    response_complete_ = false;
    exchange_open_ = true;
    const bool chunked_stream = request_version_ >= 11;
    exchange_end_ = std::make_shared<CloseNotifier>();
    auto exchange = std::make_shared<SessionExchange>(shared_from_this(), ++exchange_id_, chunked_stream,
                                                      exchange_end_);
    phase_ = Phase::exchanging;
    core_->counters().requests_dispatched.fetch_add(1);
    if (!background_read_pending_ && buffer_.size() == 0) {
        // Give back what a large request made the buffer grow to: a thousand
        // idle connections should not each keep a body's worth. Only here,
        // never while a read may be writing into the buffer.
        buffer_.shrink_to_fit();
        start_background_read();
    }
    try {
        core_->handler().handle(std::move(request), exchange);
    } catch (const std::exception& e) {
        core_->log_error(std::string("HTTP handler threw: ") + e.what());
        exchange->respond(json_error_response(500, "internal_error", "internal server error"));
    } catch (...) {
        core_->log_error("HTTP handler threw a non-standard exception");
        exchange->respond(json_error_response(500, "internal_error", "internal server error"));
    }
}

}  // namespace clawbot::service
