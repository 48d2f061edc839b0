#include "service/http/session.h"

#include <utility>

#include <boost/asio/dispatch.hpp>


namespace clawbot::service {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Session::Session(std::shared_ptr<ServerCore> core, tcp::socket socket, std::string remote_address, bool ops_only)
    : core_(std::move(core)),
      stream_(std::move(socket)),
      phase_timer_(stream_.get_executor()),
      remote_address_(std::move(remote_address)),
      ops_only_(ops_only) {
    // Streamed tokens are small writes; Nagle would hold each one back.
    boost::system::error_code ignored;
    stream_.socket().set_option(tcp::no_delay(true), ignored);
}

Session::~Session() {
    // Only reached unclosed when the io_context was torn down under us.
    if (registry_id_ != 0 && phase_ != Phase::closed) core_->remove_session(registry_id_);
    release_body_reservation();
}

void Session::start() {
    registry_id_ = core_->add_session(weak_from_this(), remote_address_, ops_only_);
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_request(); });
}

void Session::begin_drain() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->drain_on_strand(); });
}

void Session::shut_down() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
}

template <class Work>
void Session::post_from_outside(Work&& work) {
    core_->post_while_running(stream_.get_executor(), std::forward<Work>(work));
}

void Session::post_response(std::uint64_t exchange_id, HttpResponse response) {
    post_from_outside([self = shared_from_this(), exchange_id, r = std::move(response)]() mutable {
        self->write_response(exchange_id, std::move(r));
    });
}

void Session::post_stream_start(std::uint64_t exchange_id, int status, HttpHeaders headers) {
    post_from_outside([self = shared_from_this(), exchange_id, status, h = std::move(headers)]() mutable {
        self->write_stream_start(exchange_id, status, std::move(h));
    });
}

void Session::post_stream_bytes(std::uint64_t exchange_id, std::string bytes) {
    post_from_outside([self = shared_from_this(), exchange_id, b = std::move(bytes)]() mutable {
        self->write_stream_bytes(exchange_id, std::move(b));
    });
}

void Session::post_stream_finish(std::uint64_t exchange_id) {
    post_from_outside([self = shared_from_this(), exchange_id] { self->write_stream_finish(exchange_id); });
}

void Session::post_abort(std::uint64_t exchange_id, bool flush_first) {
    post_from_outside([self = shared_from_this(), exchange_id, flush_first] {
        if (!self->exchange_open_ || self->exchange_id_ != exchange_id) return;
        if (!flush_first) return self->close();
        if (self->response_complete_) return;  // already ending
        self->keep_alive_after_exchange_ = false;
        self->complete_response(std::string());
    });
}

bool Session::reserve_stream_bytes(std::size_t bytes) {
    const std::size_t cap = core_->options().max_stream_buffer_bytes;
    const std::size_t before = stream_bytes_queued_.fetch_add(bytes);
    if (before + bytes <= cap) return true;
    stream_bytes_queued_.fetch_sub(bytes);
    if (!overflowed_.exchange(true)) {
        core_->counters().stream_overflows.fetch_add(1);
        core_->log_error("client " + remote_address_ + " reads its stream too slowly: more than " + std::to_string(cap) +
                         " bytes waiting (STREAM_BUFFER_BYTES); the connection is closed and its reply cancelled");
    }
    return false;
}

void Session::after_exchange() {
    if (!keep_alive_after_exchange_ || core_->draining() || ops_only_) {
        close_gracefully();
        return;
    }
    if (buffer_.size() > 0) {  // the client pipelined its next request
        read_request();
        return;
    }
    phase_ = Phase::idle;
    arm_phase_timer(core_->options().idle_timeout);
    if (!background_read_pending_) start_background_read();
}

void Session::close_gracefully() {
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    const bool unread_input = buffer_.size() > 0 || stream_.socket().available(ec) > 0;
    if (ec || (!request_left_unread_ && !unread_input)) {
        close();  // nothing the client sent is left behind: a plain FIN
        return;
    }
    // Stop sending but keep reading (and dropping) for a while: closing with
    // unread input would reset the connection, and the client could lose
    // the response it has not read yet (a 413, typically).
    phase_ = Phase::lingering;
    buffer_.clear();
    arm_phase_timer(core_->options().linger_timeout);
    if (!background_read_pending_) start_background_read();
}

void Session::close() {
    if (phase_ == Phase::closed) return;
    phase_ = Phase::closed;
    ++timer_generation_;
    phase_timer_.cancel();
    stream_.close();  // pending operations complete with operation_aborted
    queued_.clear();  // writing_ stays until its write completes
    release_body_reservation();
    if (exchange_open_) {
        exchange_open_ = false;
        if (exchange_end_) std::exchange(exchange_end_, nullptr)->fire();
    }
    core_->remove_session(registry_id_);
}

}  // namespace clawbot::service
