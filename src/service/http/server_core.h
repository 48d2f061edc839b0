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
    std::atomic<std::uint64_t> requests_dispatched{0};
    std::atomic<std::uint64_t> requests_malformed{0};
    std::atomic<std::uint64_t> requests_body_too_large{0};
    std::atomic<std::uint64_t> requests_header_too_large{0};
    std::atomic<std::uint64_t> timeouts{0};
    std::atomic<std::uint64_t> client_disconnects{0};
    std::atomic<std::uint64_t> stream_overflows{0};
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

    // Open connections: a session is counted from add_session() until
    // remove_session(), i.e. while its socket is open.
    std::uint64_t add_session(std::weak_ptr<Session> session);
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
    std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions_;
    std::uint64_t next_session_id_ = 1;

    std::mutex post_mutex_;
    bool stopped_ = false;
};

}  // namespace clawbot::service
