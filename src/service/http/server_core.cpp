#include "service/http/server_core.h"

#include <exception>

namespace clawbot::service {

ServerCore::ServerCore(HttpServerOptions options, HttpHandler& handler)
    : options_(std::move(options)), handler_(handler) {}

std::uint64_t ServerCore::add_session(std::weak_ptr<Session> session) {
    std::lock_guard lock(sessions_mutex_);
    const std::uint64_t id = next_session_id_++;
    sessions_.emplace(id, std::move(session));
    return id;
}

void ServerCore::remove_session(std::uint64_t id) {
    {
        std::lock_guard lock(sessions_mutex_);
        sessions_.erase(id);
    }
    sessions_changed_.notify_all();
}

std::size_t ServerCore::open_connections() const {
    std::lock_guard lock(sessions_mutex_);
    return sessions_.size();
}

std::vector<std::shared_ptr<Session>> ServerCore::sessions() const {
    std::vector<std::shared_ptr<Session>> alive;
    std::lock_guard lock(sessions_mutex_);
    alive.reserve(sessions_.size());
    for (const auto& [id, weak] : sessions_) {
        if (auto session = weak.lock()) alive.push_back(std::move(session));
    }
    return alive;
}

bool ServerCore::wait_for_no_connections(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(sessions_mutex_);
    return sessions_changed_.wait_until(lock, deadline, [&] { return sessions_.empty(); });
}

void ServerCore::mark_stopped() {
    std::lock_guard lock(post_mutex_);
    stopped_ = true;
}

HttpServerStats ServerCore::stats() const {
    HttpServerStats s;
    s.open_connections = open_connections();
    s.connections_accepted = counters_.connections_accepted.load();
    s.connections_rejected = counters_.connections_rejected.load();
    s.requests_dispatched = counters_.requests_dispatched.load();
    s.requests_malformed = counters_.requests_malformed.load();
    s.requests_body_too_large = counters_.requests_body_too_large.load();
    s.requests_header_too_large = counters_.requests_header_too_large.load();
    s.timeouts = counters_.timeouts.load();
    s.client_disconnects = counters_.client_disconnects.load();
    s.stream_overflows = counters_.stream_overflows.load();
    return s;
}

void ServerCore::log_error(std::string_view message) const {
    if (!options_.error_log) return;
    try {
        options_.error_log(message);
    } catch (...) {
        // A failing logger must not take an I/O thread down with it.
    }
}

}  // namespace clawbot::service
