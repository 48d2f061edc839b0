#pragma once
// An asynchronous HTTP/1.1 server (Boost.Beast on Asio, hidden behind a
// pimpl so including this header costs nothing). One listener accepts; each
// connection is a session on its own strand; the HttpHandler sees only
// HttpRequest values and a Responder.
//
// Lifecycle: listen() -> start(n) -> ... -> stop_accepting() -> drain(t) ->
// stop(). The destructor stops. None of these may be called from a handler
// or an on_close callback (they wait for I/O threads).
#include <chrono>
#include <cstddef>
#include <memory>

#include "common/result.h"
#include "service/http/http_handler.h"
#include "service/http/http_server_options.h"

namespace clawbot::service {

class HttpServer {
public:
    // `handler` must outlive the server.
    HttpServer(HttpServerOptions options, HttpHandler& handler);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and listens on host:port (SO_REUSEADDR, and SO_REUSEPORT when
    // asked). The error says why, e.g. "cannot listen on 127.0.0.1:18789:
    // Address already in use".
    Result<bool> listen();
    // The bound port (the ephemeral one when options.port was 0); 0 before
    // listen().
    int port() const;

    // Starts accepting and `io_threads` (at least 1) threads running I/O.
    // Returns at once. Requires a successful listen(); call once.
    void start(int io_threads);
    // Closes the listening socket: new connections are refused from when
    // this returns. Open connections carry on.
    void stop_accepting();
    // Stops accepting (the listening socket closes first), lets every
    // exchange in flight (streams included) run to its end with
    // "Connection: close", serves the first request of a connection accepted
    // but not yet heard from the same way (under header_timeout), closes
    // idle keep-alive connections at once, and waits until no connection is
    // open or `timeout` has passed. true when all closed in time.
    bool drain(std::chrono::milliseconds timeout);
    // Closes every connection (firing on_close of open exchanges) and joins
    // the I/O threads. Idempotent.
    void stop();

    std::size_t open_connections() const;
    HttpServerStats stats() const;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace clawbot::service
