// Reading one request. The header block is read by hand until its empty
// line (the request line under request_line_timeout, the whole block under
// header_timeout and max_header_bytes), checked (request_head.h), parsed,
// and screened by the handler; only a request the handler accepts gets its
// body read (under body_timeout and max_body_bytes, its size reserved
// against max_buffered_body_bytes) or a "100 Continue". Failures become
// 400, 401, 413, 431, 501 or 503 and a close, or a silent close for
// timeouts and vanished clients.
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
#include "service/http/request_head.h"
#include "service/http/session.h"
#include "service/http/session_exchange.h"
#include "service/http/wire_format.h"

namespace clawbot::service {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace {
constexpr std::size_t kHeaderReadBytes = 4096;

std::string_view buffer_view(const beast::flat_buffer& buffer) {
    const auto data = buffer.data();
    return {static_cast<const char*>(data.data()), data.size()};
}
}  // namespace

void Session::read_request() {
    phase_ = Phase::reading_request;
    const HttpServerOptions& options = core_->options();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(static_cast<std::uint64_t>(options.max_body_bytes));
    head_.reset();
    header_scanned_ = 0;
    // Armed once for the whole header, not per read: a client trickling one
    // byte at a time still runs out of time. A reserved (ops-only) slot gets
    // the short deadline for all of it.
    const auto now = std::chrono::steady_clock::now();
    request_line_deadline_ = now + std::min(options.request_line_timeout, options.header_timeout);
    header_deadline_ = ops_only_ ? request_line_deadline_ : now + options.header_timeout;
    read_header_bytes();
}

void Session::read_header_bytes() {
    const std::string_view arrived = buffer_view(buffer_);
    const std::size_t end = find_header_end(arrived, header_scanned_);
    if (end != std::string_view::npos) return on_header_complete(end);
    // The next search starts where a line end could still be completed.
    header_scanned_ = arrived.size() >= 2 ? arrived.size() - 2 : 0;
    const std::size_t limit = core_->options().max_header_bytes;
    if (arrived.size() >= limit) {
        core_->counters().requests_header_too_large.fetch_add(1);
        return reject_request(431, "header_too_large", "request header exceeds " + std::to_string(limit) + " bytes");
    }
    stream_.expires_at(has_request_line(arrived) ? header_deadline_ : request_line_deadline_);
    stream_.async_read_some(buffer_.prepare(std::min(kHeaderReadBytes, limit + 4 - arrived.size())),
                            beast::bind_front_handler(&Session::on_header_bytes, shared_from_this()));
}

void Session::on_header_bytes(beast::error_code ec, std::size_t bytes) {
    if (phase_ == Phase::closed) return;
    if (ec) return fail_request(ec);
    buffer_.commit(bytes);
    read_header_bytes();
}

void Session::on_header_complete(std::size_t header_end) {
    const std::string_view block = buffer_view(buffer_).substr(0, header_end);
    std::optional<HeadRejection> rejection = parse_request_head(block, *parser_);
    if (rejection) {
        const HttpServerOptions& options = core_->options();
        ServerCounters& counters = core_->counters();
        switch (rejection->status) {
            case 431:
                counters.requests_header_too_large.fetch_add(1);
                rejection->message = "request header exceeds " + std::to_string(options.max_header_bytes) + " bytes";
                break;
            case 413:
                counters.requests_body_too_large.fetch_add(1);
                rejection->message = "request body exceeds " + std::to_string(options.max_body_bytes) + " bytes";
                break;
            case 501: counters.requests_not_implemented.fetch_add(1); break;
            default: counters.requests_malformed.fetch_add(1); break;
        }
        return reject_request(rejection->status, rejection->code, std::move(rejection->message));
    }
    buffer_.consume(header_end);
    head_ = to_http_request_head(parser_->get(), remote_address_);
    screen_request();
}

void Session::read_body_of_screened_request() {
    if (parser_->is_done()) return dispatch_request();
    // The body is read only now, for a request the handler accepted, and
    // only while the bytes all bodies being read may take allow it.
    const auto length = parser_->content_length();
    const std::size_t expected = length ? static_cast<std::size_t>(*length) : core_->options().max_body_bytes;
    if (!core_->reserve_body_bytes(expected)) {
        core_->counters().requests_body_buffer_full.fetch_add(1);
        core_->handler().on_rejected(head_->method, 503);
        HttpResponse busy = json_error_response(503, "overloaded", "too many request bodies in flight; retry later");
        busy.set_header("Retry-After", "1");
        return answer_and_close(std::move(busy));
    }
    body_bytes_reserved_ = expected;
    if (expects_continue(parser_->get())) return send_continue();
    read_body();
}

// Refuses the request here (not an ops path on a reserved slot, or the
// handler's refusal), or goes on to its body now or, for a screening the
// handler decides later, once it has.
void Session::screen_request() {
    if (ops_only_) {
        const auto& paths = core_->options().ops_paths;
        if (std::find(paths.begin(), paths.end(), head_->path) == paths.end()) {
            core_->handler().on_rejected(head_->method, 503);
            HttpResponse busy = json_error_response(503, "overloaded", "too many open connections; retry later");
            busy.set_header("Retry-After", "1");
            return answer_and_close(std::move(busy));
        }
    }
    Screening screening;
    try {
        screening = core_->handler().screen(*head_);
    } catch (const std::exception& e) {
        core_->log_error(std::string("HTTP handler's screen threw: ") + e.what());
        screening.refusal = json_error_response(500, "internal_error", "internal server error");
    }
    if (!screening.refusal && screening.decide_later) {
        // Nothing is read meanwhile: the socket has no operation pending, so
        // the connection costs its header until the decision comes back.
        auto decide = [self = shared_from_this()](Screening decided) {
            self->core_->post_while_running(self->stream_.get_executor(), [self, decided = std::move(decided)]() mutable {
                if (self->phase_ == Phase::closed || !self->head_) return;
                self->apply_screening(std::move(decided));
            });
        };
        try {
            screening.decide_later(std::move(decide));
        } catch (const std::exception& e) {
            core_->log_error(std::string("HTTP handler's deferred screen threw: ") + e.what());
            return answer_and_close(json_error_response(500, "internal_error", "internal server error"));
        }
        return;
    }
    apply_screening(std::move(screening));
}

void Session::apply_screening(Screening screening) {
    if (screening.refusal) {
        core_->counters().requests_refused_before_body.fetch_add(1);
        return answer_and_close(std::move(*screening.refusal));
    }
    head_->screened = std::move(screening.attachment);
    read_body_of_screened_request();
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
    if (ec == http::error::body_limit) {
        counters.requests_body_too_large.fetch_add(1);
        return reject_request(413, "payload_too_large",
                              "request body exceeds " + std::to_string(options.max_body_bytes) + " bytes");
    }
    if (ec == beast::error::timeout) counters.timeouts.fetch_add(1);
    // A client that left (before or in the middle of a request) or timed
    // out gets no answer; anything else the parser rejected is malformed.
    const bool client_gone = ec == http::error::end_of_stream || ec == http::error::partial_message;
    const bool parse_error = ec.category() == http::make_error_code(http::error::bad_target).category();
    if (!parse_error || client_gone) return close();
    counters.requests_malformed.fetch_add(1);
    reject_request(400, "bad_request", "malformed request: " + ec.message());
}

void Session::reject_request(int status, std::string_view code, std::string message) {
    const std::string method(head_ ? std::string_view(head_->method) : request_line_method(buffer_view(buffer_)));
    core_->handler().on_rejected(method, status);
    answer_and_close(json_error_response(status, code, message));
}

void Session::answer_and_close(HttpResponse response) {
    release_body_reservation();
    phase_ = Phase::exchanging;
    keep_alive_after_exchange_ = false;
    request_left_unread_ = true;
    ResponseHead head;
    head.status = response.status;
    head.headers = &response.headers;
    head.content_length = response.body.size();
    head.keep_alive = false;
    complete_response(serialize_response_head(head) + response.body);
}

void Session::release_body_reservation() {
    if (body_bytes_reserved_ == 0) return;
    core_->release_body_bytes(body_bytes_reserved_);
    body_bytes_reserved_ = 0;
}

void Session::dispatch_request() {
    release_body_reservation();
    HttpRequest request = std::move(*head_);
    head_.reset();
    request.body = std::move(parser_->get().body());
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
        core_->log_error("HTTP handler threw: " + std::string(e.what()));
        exchange->respond(json_error_response(500, "internal_error", "internal server error"));
    } catch (...) {
        core_->log_error("HTTP handler threw a non-standard exception");
        exchange->respond(json_error_response(500, "internal_error", "internal server error"));
    }
}

}  // namespace clawbot::service
