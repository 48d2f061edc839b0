#include "service/http/server_core.h"

#include <algorithm>
#include <exception>

namespace clawbot::service {

ServerCore::ServerCore(HttpServerOptions options, HttpHandler& handler)
    : options_(std::move(options)), handler_(handler) {}

ConnectionAdmission ServerCore::admission_for(const std::string& address) const {
    std::lock_guard lock(sessions_mutex_);
    const std::size_t cap = options_.max_connections_per_client;
    if (cap > 0 && std::find(options_.per_client_exempt.begin(), options_.per_client_exempt.end(), address) ==
                       options_.per_client_exempt.end()) {
        const auto found = per_address_.find(address);
        if (found != per_address_.end() && found->second >= cap) return ConnectionAdmission::over_client_cap;
    }
    const std::size_t reserved = std::min(options_.reserved_ops_connections, options_.max_connections);
    const std::size_t ordinary_open = sessions_.size() - ops_only_open_;
    if (ordinary_open < options_.max_connections - reserved) return ConnectionAdmission::serve;
    if (ops_only_open_ < reserved) return ConnectionAdmission::ops_only;
    return ConnectionAdmission::over_capacity;
}

std::uint64_t ServerCore::add_session(std::weak_ptr<Session> session, const std::string& address, bool ops_only) {
    std::lock_guard lock(sessions_mutex_);
    const std::uint64_t id = next_session_id_++;
    sessions_.emplace(id, OpenSession{std::move(session), address, ops_only});
    ++per_address_[address];
    if (ops_only) ++ops_only_open_;
    return id;
}

void ServerCore::remove_session(std::uint64_t id) {
    {
        std::lock_guard lock(sessions_mutex_);
        const auto found = sessions_.find(id);
        if (found == sessions_.end()) return;
        const auto address = per_address_.find(found->second.address);
        if (address != per_address_.end() && --address->second == 0) per_address_.erase(address);
        if (found->second.ops_only) --ops_only_open_;
        sessions_.erase(found);
    }
    sessions_changed_.notify_all();
}

bool ServerCore::reserve_body_bytes(std::size_t bytes) {
    const std::size_t before = body_bytes_reserved_.fetch_add(bytes);
    if (before + bytes <= options_.max_buffered_body_bytes) return true;
    body_bytes_reserved_.fetch_sub(bytes);
    return false;
}

std::size_t ServerCore::open_connections() const {
    std::lock_guard lock(sessions_mutex_);
    return sessions_.size();
}

std::vector<std::shared_ptr<Session>> ServerCore::sessions() const {
    std::vector<std::shared_ptr<Session>> alive;
    std::lock_guard lock(sessions_mutex_);
    alive.reserve(sessions_.size());
    for (const auto& [id, open] : sessions_) {
        if (auto session = open.session.lock()) alive.push_back(std::move(session));
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
    s.connections_rejected_per_client = counters_.connections_rejected_per_client.load();
    s.ops_connections = counters_.ops_connections.load();
    s.requests_dispatched = counters_.requests_dispatched.load();
    s.requests_malformed = counters_.requests_malformed.load();
    s.requests_body_too_large = counters_.requests_body_too_large.load();
    s.requests_header_too_large = counters_.requests_header_too_large.load();
    s.requests_not_implemented = counters_.requests_not_implemented.load();
    s.requests_refused_before_body = counters_.requests_refused_before_body.load();
    s.requests_body_buffer_full = counters_.requests_body_buffer_full.load();
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
