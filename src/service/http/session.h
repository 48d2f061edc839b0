#pragma once
// One client connection: owns the socket and its buffer, reads requests
// under the header/body limits and timeouts, hands each to the handler, and
// writes what the handler's Responder sends, in order, on the connection's
// strand. Internal to the HTTP layer.
//
// A connection is always in one phase:
//   reading_request -> exchanging -> (idle -> reading_request | lingering) -> closed
// While exchanging, a background read watches the socket so that a client
// that goes away is noticed at once (and on_close fires) even while the
// handler writes nothing.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "service/http/close_notifier.h"
#include "service/http/http_handler.h"
#include "service/http/http_message.h"
#include "service/http/server_core.h"

namespace clawbot::service {

class Session : public std::enable_shared_from_this<Session> {
public:
    // `ops_only`: one of the reserved slots (HttpServerOptions::
    // reserved_ops_connections): one request to an ops path, then close.
    Session(std::shared_ptr<ServerCore> core, boost::asio::ip::tcp::socket socket, std::string remote_address,
            bool ops_only);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Counts the connection as open and starts reading. Call once.
    void start();
    // From any thread: close now if idle, else close after the exchange in
    // flight (whose response then says "Connection: close").
    void begin_drain();
    // From any thread: close now.
    void shut_down();

    // From SessionExchange, on any thread. Each posts to the strand; work
    // for an exchange that is no longer the current one is dropped.
    void post_response(std::uint64_t exchange_id, HttpResponse response);
    void post_stream_start(std::uint64_t exchange_id, int status, HttpHeaders headers);
    void post_stream_bytes(std::uint64_t exchange_id, std::string bytes);
    void post_stream_finish(std::uint64_t exchange_id);
    // Ends the exchange by closing the connection: after writing what is
    // queued (`flush_first`), or at once (a client that fell too far behind).
    void post_abort(std::uint64_t exchange_id, bool flush_first);
    // Accounts for stream bytes queued but not yet written; false (and the
    // bytes not counted) when they would pass max_stream_buffer_bytes.
    bool reserve_stream_bytes(std::size_t bytes);

private:
    enum class Phase { reading_request, exchanging, idle, lingering, closed };
    struct Outgoing {
        std::string bytes;
        bool stream_bytes = false;  // counted by reserve_stream_bytes
    };

    // session_read.cpp: one request, under limits and timeouts.
    void read_request();
    void read_header_bytes();
    void on_header_bytes(boost::beast::error_code ec, std::size_t bytes);
    void on_header_complete(std::size_t header_end);
    void screen_request();
    void apply_screening(Screening screening);
    void read_body_of_screened_request();
    void send_continue();
    void read_body();
    void on_body_read(boost::beast::error_code ec, std::size_t bytes);
    void fail_request(boost::beast::error_code ec);
    void reject_request(int status, std::string_view code, std::string message);
    void answer_and_close(HttpResponse response);
    void release_body_reservation();
    void dispatch_request();

    // session_watch.cpp: the background read and the phase timer.
    void start_background_read();
    void on_background_read(boost::beast::error_code ec, std::size_t bytes);
    void arm_phase_timer(std::chrono::milliseconds timeout);
    void drain_on_strand();

    // session_write.cpp: the ordered write queue and the end of an exchange.
    bool is_current(std::uint64_t exchange_id) const;
    void write_response(std::uint64_t exchange_id, HttpResponse response);
    void write_stream_start(std::uint64_t exchange_id, int status, HttpHeaders headers);
    void write_stream_bytes(std::uint64_t exchange_id, std::string bytes);
    void write_stream_finish(std::uint64_t exchange_id);
    void complete_response(std::string last_bytes);
    void enqueue(std::string bytes, bool stream_bytes);
    void write_next();
    void on_write(boost::beast::error_code ec, std::size_t bytes);
    void end_exchange();
    void release_stream_bytes(std::size_t bytes);

    // session.cpp: what follows an exchange, and closing.
    void after_exchange();
    void close_gracefully();
    void close();

    template <class Work>
    void post_from_outside(Work&& work);

    // First member: the io_context it holds must outlive stream_ and timer_.
    const std::shared_ptr<ServerCore> core_;
    boost::beast::tcp_stream stream_;
    boost::asio::steady_timer phase_timer_;
    std::uint64_t timer_generation_ = 0;  // a timer firing for an older phase does nothing
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    std::string remote_address_;
    const bool ops_only_;
    // The request being read: how far the search for the header's end got,
    // its deadlines, the head the handler screened, and the body bytes
    // reserved against max_buffered_body_bytes.
    std::size_t header_scanned_ = 0;
    std::chrono::steady_clock::time_point request_line_deadline_;
    std::chrono::steady_clock::time_point header_deadline_;
    std::optional<HttpRequest> head_;
    std::size_t body_bytes_reserved_ = 0;
    std::uint64_t registry_id_ = 0;
    Phase phase_ = Phase::reading_request;
    bool background_read_pending_ = false;

    // The exchange in flight (one at a time: HTTP/1.1 answers in order).
    std::uint64_t exchange_id_ = 0;
    bool exchange_open_ = false;
    bool response_complete_ = false;  // its last bytes are queued
    std::shared_ptr<CloseNotifier> exchange_end_;  // fired when it is over
    bool head_request_ = false;
    int request_version_ = 11;
    bool client_keep_alive_ = false;
    bool keep_alive_after_exchange_ = false;
    bool request_left_unread_ = false;  // an error answered before the request ended

    std::deque<Outgoing> queued_;
    std::vector<Outgoing> writing_;  // the batch async_write is sending
    bool write_pending_ = false;
    std::atomic<std::size_t> stream_bytes_queued_{0};
    std::atomic<bool> overflowed_{false};
};

}  // namespace clawbot::service
