#include "service/http/http_server.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>

#include "service/http/listener.h"
#include "service/http/server_core.h"
#include "service/http/session.h"

namespace clawbot::service {

namespace net = boost::asio;

namespace {
// How long stop() lets closed connections wind down before it stops the
// io_context outright.
constexpr std::chrono::seconds kStopGrace{5};
}  // namespace

class HttpServer::Impl {
public:
    Impl(HttpServerOptions options, HttpHandler& handler)
        : core_(std::make_shared<ServerCore>(std::move(options), handler)),
          listener_(std::make_shared<Listener>(core_)) {}

    Result<bool> listen() { return listener_->open(); }
    int port() const { return listener_->port(); }
    void start(int io_threads);
    void stop_accepting() { listener_->close(); }
    bool drain(std::chrono::milliseconds timeout);
    void stop();
    std::size_t open_connections() const { return core_->open_connections(); }
    HttpServerStats stats() const { return core_->stats(); }

private:
    void run_io_thread();
    void wait_for_io_threads(std::chrono::steady_clock::time_point deadline);

    std::shared_ptr<ServerCore> core_;
    std::shared_ptr<Listener> listener_;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
    std::vector<std::thread> threads_;

    std::mutex threads_mutex_;
    std::condition_variable thread_exited_;
    int running_threads_ = 0;
};

void HttpServer::Impl::start(int io_threads) {
    if (!threads_.empty()) return;
    work_.emplace(net::make_work_guard(core_->io()));
    listener_->start_accepting();
    const int count = std::max(1, io_threads);
    running_threads_ = count;
    threads_.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) threads_.emplace_back([this] { run_io_thread(); });
}

void HttpServer::Impl::run_io_thread() {
    // A handler that throws unwinds out of run(); log it and carry on, so
    // the process never dies of a request.
    for (;;) {
        try {
            core_->io().run();
            break;
        } catch (const std::exception& e) {
            core_->log_error(std::string("I/O thread caught: ") + e.what());
        } catch (...) {
            core_->log_error("I/O thread caught a non-standard exception");
        }
    }
    std::lock_guard lock(threads_mutex_);
    --running_threads_;
    thread_exited_.notify_all();
}

bool HttpServer::Impl::drain(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    core_->set_draining();
    // The listening socket closes first, so the kernel stops queueing new
    // connections here at once (with SO_REUSEPORT, a new process sharing the
    // port takes them all; with net.ipv4.tcp_migrate_req=1 it also takes
    // those still queued here). What is already accepted runs to its end.
    listener_->close();
    listener_->wait_for_accept_handler(deadline);
    for (const auto& session : core_->sessions()) session->begin_drain();
    return core_->wait_for_no_connections(deadline);
}

void HttpServer::Impl::wait_for_io_threads(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(threads_mutex_);
    thread_exited_.wait_until(lock, deadline, [&] { return running_threads_ == 0; });
}

void HttpServer::Impl::stop() {
    listener_->close();
    for (const auto& session : core_->sessions()) session->shut_down();
    // From here on, Responders held by other threads post nothing more.
    core_->mark_stopped();
    work_.reset();
    if (threads_.empty()) return;
    // Closed sockets and cancelled timers run out of work quickly; if
    // something still holds the io_context past the grace period, stop it.
    wait_for_io_threads(std::chrono::steady_clock::now() + kStopGrace);
    core_->io().stop();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

HttpServer::~HttpServer() { impl_->stop(); }

Result<bool> HttpServer::listen() { return impl_->listen(); }
int HttpServer::port() const { return impl_->port(); }
void HttpServer::start(int io_threads) { impl_->start(io_threads); }
void HttpServer::stop_accepting() { impl_->stop_accepting(); }
bool HttpServer::drain(std::chrono::milliseconds timeout) { return impl_->drain(timeout); }
void HttpServer::stop() { impl_->stop(); }
std::size_t HttpServer::open_connections() const { return impl_->open_connections(); }
HttpServerStats HttpServer::stats() const { return impl_->stats(); }

}  // namespace clawbot::service
