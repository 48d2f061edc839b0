#pragma once
// What the listener, every session and the HttpServer facade share: the
// io_context, the options, the handler, the counters and the set of open
// connections. Sessions hold it by shared_ptr, so the io_context outlives
// every session, even one kept alive by a Responder on an engine thread.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "service/http/http_handler.h"
#include "service/http/http_server_options.h"

namespace clawbot::service {

class Session;

struct ServerCounters {
    std::atomic<std::uint64_t> connections_accepted{0};
    std::atomic<std::uint64_t> connections_rejected{0};
    std::atomic<std::uint64_t> connections_rejected_per_client{0};
    std::atomic<std::uint64_t> ops_connections{0};
    std::atomic<std::uint64_t> requests_dispatched{0};
    std::atomic<std::uint64_t> requests_malformed{0};
    std::atomic<std::uint64_t> requests_body_too_large{0};
    std::atomic<std::uint64_t> requests_header_too_large{0};
    std::atomic<std::uint64_t> requests_not_implemented{0};
    std::atomic<std::uint64_t> requests_refused_before_body{0};
    std::atomic<std::uint64_t> requests_body_buffer_full{0};
    std::atomic<std::uint64_t> timeouts{0};
    std::atomic<std::uint64_t> client_disconnects{0};
    std::atomic<std::uint64_t> stream_overflows{0};
};

// What a new connection from some address may do.
enum class ConnectionAdmission {
    serve,            // an ordinary connection
    ops_only,         // one of the reserved slots: /healthz, /readyz, /metrics once
    over_capacity,    // every slot taken: 503
    over_client_cap,  // its address holds max_connections_per_client: 429
};

class ServerCore {
public:
    ServerCore(HttpServerOptions options, HttpHandler& handler);

    boost::asio::io_context& io() { return io_; }
    const HttpServerOptions& options() const { return options_; }
    HttpHandler& handler() { return handler_; }
    ServerCounters& counters() { return counters_; }

    bool draining() const { return draining_.load(); }
    void set_draining() { draining_.store(true); }

    // Decides a new connection's fate by the open connections of all and of
    // its address (connections are accepted one at a time, so the answer
    // holds until the session that follows registers).
    ConnectionAdmission admission_for(const std::string& address) const;
    // Open connections: a session is counted from add_session() until
    // remove_session(), i.e. while its socket is open.
    std::uint64_t add_session(std::weak_ptr<Session> session, const std::string& address, bool ops_only);
    void remove_session(std::uint64_t id);
    std::size_t open_connections() const;
    std::vector<std::shared_ptr<Session>> sessions() const;
    // true when no connection was open before `deadline`.
    bool wait_for_no_connections(std::chrono::steady_clock::time_point deadline);

    // Posts `work` to `executor` unless the server has stopped. Threads
    // outside the io_context (engine threads holding a Responder) post only
    // through here, so nothing lands in the queue of a stopped io_context.
    template <class Executor, class Work>
    void post_while_running(const Executor& executor, Work&& work) {
        std::lock_guard lock(post_mutex_);
        if (stopped_) return;
        boost::asio::post(executor, std::forward<Work>(work));
    }
    void mark_stopped();

    // Bytes of request bodies being read, against max_buffered_body_bytes:
    // false (nothing taken) when `bytes` more would pass it.
    bool reserve_body_bytes(std::size_t bytes);
    void release_body_bytes(std::size_t bytes) { body_bytes_reserved_.fetch_sub(bytes); }

    HttpServerStats stats() const;
    void log_error(std::string_view message) const;

private:
    boost::asio::io_context io_;
    const HttpServerOptions options_;
    HttpHandler& handler_;
    ServerCounters counters_;
    std::atomic<bool> draining_{false};

    mutable std::mutex sessions_mutex_;
    std::condition_variable sessions_changed_;
    struct OpenSession {
        std::weak_ptr<Session> session;
        std::string address;
        bool ops_only = false;
    };
    std::unordered_map<std::uint64_t, OpenSession> sessions_;
    // Open connections per client address; an address leaves the map with
    // its last connection, so the map is never larger than sessions_.
    std::unordered_map<std::string, std::size_t> per_address_;
    std::size_t ops_only_open_ = 0;
    std::uint64_t next_session_id_ = 1;
    std::atomic<std::size_t> body_bytes_reserved_{0};

    std::mutex post_mutex_;
    bool stopped_ = false;
};

}  // namespace clawbot::service
