// The read that runs while no request is being parsed: during an exchange it
// notices a client that goes away; between requests it waits for the next
// one (under idle_timeout); while lingering it drops what still arrives.
#include <boost/asio/error.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "service/http/session.h"

namespace clawbot::service {

namespace beast = boost::beast;

namespace {
constexpr std::size_t kBackgroundReadBytes = 4096;
}  // namespace

void Session::start_background_read() {
    background_read_pending_ = true;
    // No stream timeout: the phase decides how long the wait may be (none
    // during an exchange, idle_timeout or linger_timeout via phase_timer_).
    stream_.expires_never();
    stream_.async_read_some(buffer_.prepare(kBackgroundReadBytes),
                            beast::bind_front_handler(&Session::on_background_read, shared_from_this()));
}

void Session::on_background_read(beast::error_code ec, std::size_t bytes) {
    background_read_pending_ = false;
    if (phase_ == Phase::closed) return;
    if (ec) {
        // End of file or a reset: the client is gone. (Aborted: a write
        // timeout closed the socket under this read; counted there.)
        if (phase_ == Phase::exchanging && exchange_open_ && ec != boost::asio::error::operation_aborted) {
            core_->counters().client_disconnects.fetch_add(1);
        }
        close();
        return;
    }
    buffer_.commit(bytes);
    switch (phase_) {
        case Phase::exchanging:
            // A pipelined request: it waits in the buffer for its turn. The
            // client is evidently still there, so the watch can stop here,
            // which also bounds how much a pipelining client can queue.
            return;
        case Phase::idle:
            ++timer_generation_;
            phase_timer_.cancel();
            read_request();
            return;
        case Phase::lingering:
            buffer_.clear();
            start_background_read();
            return;
        case Phase::reading_request:
        case Phase::closed:
            return;
    }
}

void Session::arm_phase_timer(std::chrono::milliseconds timeout) {
    const std::uint64_t generation = ++timer_generation_;
    phase_timer_.expires_after(timeout);
    phase_timer_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
        if (ec || generation != self->timer_generation_) return;
        self->close();
    });
}

void Session::drain_on_strand() {
    switch (phase_) {
        case Phase::idle:
            close();
            return;
        case Phase::reading_request:
            // Left to finish, even before the first byte of its request:
            // a connection the client has just opened carries a request that
            // is on its way, and closing it now would lose that request (a
            // POST the client cannot safely retry). It is answered with
            // "Connection: close"; one that sends nothing is closed by
            // header_timeout (10 s by default, inside the 30 s drain).
        case Phase::exchanging:  // after_exchange() sees draining() and closes
        case Phase::lingering:
        case Phase::closed:
            return;
    }
}

}  // namespace clawbot::service
