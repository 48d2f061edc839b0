#include "service/http/listener.h"

#include <chrono>
#include <string>
#include <utility>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "service/http/overload_reply.h"
#include "service/http/session.h"
#include "service/http/socket_options.h"

namespace clawbot::service {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {
// After a failed accept (out of descriptors, typically) wait before trying
// again, so the loop neither spins nor floods the log.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
}  // namespace

Listener::Listener(std::shared_ptr<ServerCore> core)
    : core_(std::move(core)), acceptor_(core_->io()), retry_timer_(core_->io()) {}

Result<tcp::endpoint> Listener::resolve_endpoint() {
    const HttpServerOptions& options = core_->options();
    boost::system::error_code ec;
    const auto address = net::ip::make_address(options.host, ec);
    if (!ec) return tcp::endpoint(address, options.port);
    tcp::resolver resolver(core_->io());
    const auto results = resolver.resolve(options.host, std::to_string(options.port),
                                          tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
        return make_error("cannot resolve host " + options.host + ": " +
                          (ec ? ec.message() : std::string("no address")));
    }
    return results.begin()->endpoint();
}

Result<bool> Listener::open() {
    auto endpoint = resolve_endpoint();
    if (!endpoint) return endpoint.error();
    const HttpServerOptions& options = core_->options();
    std::lock_guard lock(mutex_);
    boost::system::error_code ec;
    const auto fail = [&] {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        return make_error("cannot listen on " + options.host + ":" + std::to_string(options.port) +
                          ": " + ec.message());
    };
    if (acceptor_.open(endpoint->protocol(), ec); ec) return fail();
    if (acceptor_.set_option(net::socket_base::reuse_address(true), ec); ec) return fail();
    if (options.reuse_port) {
        if (acceptor_.set_option(ReusePortOption(true), ec); ec) return fail();
    }
    if (acceptor_.bind(*endpoint, ec); ec) return fail();
    if (acceptor_.listen(options.listen_backlog, ec); ec) return fail();
    const auto local = acceptor_.local_endpoint(ec);
    if (ec) return fail();
    port_ = local.port();
    return true;
}

int Listener::port() const {
    std::lock_guard lock(mutex_);
    return port_;
}

void Listener::start_accepting() {
    std::lock_guard lock(mutex_);
    if (!closed_ && acceptor_.is_open()) accept_next();
}

void Listener::close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
}

bool Listener::wait_for_accept_handler(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return accept_handled_.wait_until(lock, deadline, [&] { return !accept_pending_; });
}

void Listener::accept_next() {
    accept_pending_ = true;
    // Each connection gets its own strand: its handlers never run at once.
    acceptor_.async_accept(net::make_strand(core_->io()),
                           beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
    std::lock_guard lock(mutex_);
    accept_pending_ = false;
    accept_handled_.notify_all();  // the waiter wakes once this returns and unlocks
    if (ec == net::error::operation_aborted) return;
    if (closed_) {
        // The kernel handed this connection over just before close(): its
        // client has connected and is sending a request. While draining
        // (an upgrade handing the port to a new process) it is served like
        // any other open connection, with "Connection: close"; dropping it
        // would lose that request. On stop() it is simply closed.
        if (!ec && core_->draining()) admit(std::move(socket));
        return;
    }
    if (!ec) {
        admit(std::move(socket));
        accept_next();
        return;
    }
    if (ec == net::error::connection_aborted) {  // the client gave up first; nothing wrong here
        accept_next();
        return;
    }
    core_->log_error("accept failed: " + ec.message());
    retry_timer_.expires_after(kAcceptRetryDelay);
    retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
        std::lock_guard relock(self->mutex_);
        if (!wait_ec && !self->closed_) self->accept_next();
    });
}

void Listener::admit(tcp::socket socket) {
    boost::system::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    std::string address = peer.address().to_string();
    switch (core_->admission_for(address)) {
        case ConnectionAdmission::over_client_cap:
            core_->counters().connections_rejected_per_client.fetch_add(1);
            send_overload_reply(core_, std::move(socket), OverloadKind::client_over_cap);
            return;
        case ConnectionAdmission::over_capacity:
            core_->counters().connections_rejected.fetch_add(1);
            send_overload_reply(core_, std::move(socket), OverloadKind::server_full);
            return;
        case ConnectionAdmission::ops_only:
            core_->counters().ops_connections.fetch_add(1);
            std::make_shared<Session>(core_, std::move(socket), std::move(address), true)->start();
            return;
        case ConnectionAdmission::serve:
            core_->counters().connections_accepted.fetch_add(1);
            std::make_shared<Session>(core_, std::move(socket), std::move(address), false)->start();
            return;
    }
}

}  // namespace clawbot::service
