#pragma once
// Accepts connections and gives each one a Session on its own strand, or a
// 503 when max_connections are open. Every use of the acceptor happens under
// one mutex, so close() can close it from any thread. An accept the kernel
// completed just before close() still reaches on_accept afterwards;
// wait_for_accept_handler() waits for it, so that from then on every
// connection handed over is registered (drain sees them all).
// Internal to the HTTP layer.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/result.h"
#include "service/http/server_core.h"

namespace clawbot::service {

class Listener : public std::enable_shared_from_this<Listener> {
public:
    explicit Listener(std::shared_ptr<ServerCore> core);

    // Binds and listens on the core's host and port.
    Result<bool> open();
    int port() const;
    void start_accepting();
    void close();
    // After close(): waits until the handler of the accept that was pending
    // has run (false when `deadline` passed first).
    bool wait_for_accept_handler(std::chrono::steady_clock::time_point deadline);

private:
    void accept_next();  // with mutex_ held
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
    void admit(boost::asio::ip::tcp::socket socket);  // with mutex_ held
    Result<boost::asio::ip::tcp::endpoint> resolve_endpoint();

    const std::shared_ptr<ServerCore> core_;
    mutable std::mutex mutex_;
    std::condition_variable accept_handled_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer retry_timer_;
    bool closed_ = false;
    bool accept_pending_ = false;  // an async_accept whose handler has not run
    int port_ = 0;
};

}  // namespace clawbot::service
