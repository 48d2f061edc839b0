// The write side: responses and stream bytes go through one queue, written
// in order, batched into one async_write per round, each write under
// write_timeout. An exchange ends when its last bytes are on the wire.
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "service/http/session.h"
#include "service/http/wire_format.h"

namespace clawbot::service {

namespace net = boost::asio;
namespace beast = boost::beast;

namespace {

// Statuses whose responses have no body at all (RFC 9110 6.4.1).
bool has_no_body(int status) { return (status >= 100 && status < 200) || status == 204 || status == 304; }

void add_default_header(HttpHeaders& headers, std::string_view name, std::string_view value) {
    for (const auto& field : headers) {
        if (header_name_equals(field.first, name)) return;
    }
    headers.emplace_back(std::string(name), std::string(value));
}

}  // namespace

bool Session::is_current(std::uint64_t exchange_id) const {
    return phase_ == Phase::exchanging && exchange_open_ && !response_complete_ &&
           exchange_id == exchange_id_;
}

void Session::write_response(std::uint64_t exchange_id, HttpResponse response) {
    if (!is_current(exchange_id)) return;
    keep_alive_after_exchange_ =
        client_keep_alive_ && !ops_only_ && !core_->draining() && !asks_connection_close(response.headers);
    const bool bodyless = has_no_body(response.status);
    ResponseHead head;
    head.status = response.status;
    head.headers = &response.headers;
    head.framing = bodyless ? BodyFraming::none : BodyFraming::content_length;
    head.content_length = response.body.size();
    head.keep_alive = keep_alive_after_exchange_;
    head.version = request_version_;
    enqueue(serialize_response_head(head), false);
    // HEAD: the Content-Length a GET would have, but no body. The body is
    // queued as its own buffer rather than copied after the head.
    if (!head_request_ && !bodyless && !response.body.empty()) enqueue(std::move(response.body), false);
    complete_response(std::string());
}

void Session::write_stream_start(std::uint64_t exchange_id, int status, HttpHeaders headers) {
    if (!is_current(exchange_id)) return;
    add_default_header(headers, "Content-Type", "text/event-stream");
    add_default_header(headers, "Cache-Control", "no-cache");
    add_default_header(headers, "X-Accel-Buffering", "no");  // nginx: pass each event on at once
    const bool chunked = request_version_ >= 11;
    keep_alive_after_exchange_ =
        chunked && client_keep_alive_ && !ops_only_ && !core_->draining() && !asks_connection_close(headers);
    ResponseHead head;
    head.status = status;
    head.headers = &headers;
    head.framing = chunked ? BodyFraming::chunked : BodyFraming::until_close;
    head.keep_alive = keep_alive_after_exchange_;
    head.version = request_version_;
    std::string bytes = serialize_response_head(head);
    if (head_request_) {
        complete_response(std::move(bytes));  // what follows is dropped
        return;
    }
    enqueue(std::move(bytes), false);
}

void Session::write_stream_bytes(std::uint64_t exchange_id, std::string bytes) {
    if (!is_current(exchange_id)) {
        release_stream_bytes(bytes.size());
        return;
    }
    enqueue(std::move(bytes), true);
}

void Session::write_stream_finish(std::uint64_t exchange_id) {
    if (!is_current(exchange_id)) return;
    complete_response(request_version_ >= 11 ? std::string(kLastChunk) : std::string());
}

void Session::complete_response(std::string last_bytes) {
    response_complete_ = true;
    if (!last_bytes.empty()) enqueue(std::move(last_bytes), false);
    if (!write_pending_ && queued_.empty()) end_exchange();
}

void Session::enqueue(std::string bytes, bool stream_bytes) {
    queued_.push_back(Outgoing{std::move(bytes), stream_bytes});
    if (!write_pending_) write_next();
}

void Session::write_next() {
    writing_.clear();
    while (!queued_.empty()) {
        writing_.push_back(std::move(queued_.front()));
        queued_.pop_front();
    }
    // Buffers are taken only once writing_ has stopped growing (a moved
    // short string would leave a buffer pointing at the old storage).
    std::vector<net::const_buffer> buffers;
    buffers.reserve(writing_.size());
    for (const Outgoing& item : writing_) buffers.push_back(net::buffer(item.bytes));
    write_pending_ = true;
    stream_.expires_after(core_->options().write_timeout);
    net::async_write(stream_, buffers, beast::bind_front_handler(&Session::on_write, shared_from_this()));
}

void Session::on_write(beast::error_code ec, std::size_t) {
    write_pending_ = false;
    for (const Outgoing& item : writing_) {
        if (item.stream_bytes) release_stream_bytes(item.bytes.size());
    }
    writing_.clear();
    // Counted before the phase check: the timeout closed the socket, so the
    // background read may have seen the close (and closed us) first.
    if (ec == beast::error::timeout) core_->counters().timeouts.fetch_add(1);
    if (phase_ == Phase::closed) return;
    if (ec) {
        if (ec != beast::error::timeout && exchange_open_) core_->counters().client_disconnects.fetch_add(1);
        close();
        return;
    }
    if (!queued_.empty()) {
        write_next();
        return;
    }
    if (response_complete_) end_exchange();
}

void Session::end_exchange() {
    response_complete_ = false;
    const bool had_exchange = exchange_open_;
    exchange_open_ = false;
    auto end = std::exchange(exchange_end_, nullptr);
    if (had_exchange && end) end->fire();
    // A callback cannot close this session (only posts reach it), so the
    // phase is still exchanging here.
    after_exchange();
}

void Session::release_stream_bytes(std::size_t bytes) { stream_bytes_queued_.fetch_sub(bytes); }

}  // namespace clawbot::service
