#pragma once
// Everything the HTTP server bounds, in one place, with the defaults the
// service ships with. Timeouts are milliseconds so tests can make them short.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace clawbot::service {

struct HttpServerOptions {
    std::string host = "127.0.0.1";  // IP literal or a resolvable name
    std::uint16_t port = 18789;      // 0: an ephemeral port, see HttpServer::port()

    std::size_t max_body_bytes = 1024 * 1024;  // larger: 413 and close
    std::size_t max_header_bytes = 16 * 1024;  // request line + fields; larger: 431 and close

    // From the connection's first byte (or its accept, for the first request)
    // to the end of the header; re-armed for every request. Expiry closes the
    // connection without a reply, so a slowloris client holds nothing long.
    std::chrono::milliseconds header_timeout{10'000};
    // Shorter, for a connection that has not yet sent a whole request line
    // (from its accept, or from the first byte after an idle wait): a
    // client that opens connections and says nothing holds each slot for
    // this long only.
    std::chrono::milliseconds request_line_timeout{5'000};
    // From the end of the header to the end of the body.
    std::chrono::milliseconds body_timeout{30'000};
    // How long a keep-alive connection may wait for its next request.
    std::chrono::milliseconds idle_timeout{60'000};
    // Each write, re-armed before every write (every SSE chunk included).
    std::chrono::milliseconds write_timeout{30'000};
    // When the server closes a connection whose input it has not read to
    // the end (after a 413, 400 or 431, or with a pipelined request pending),
    // it stops sending and reads (and drops) what still arrives for up to
    // this long, so the client reads the response instead of a reset.
    std::chrono::milliseconds linger_timeout{2'000};

    // Connections beyond this are answered 503 with Retry-After and closed.
    std::size_t max_connections = 1024;
    // Of max_connections, this many are kept for /healthz, /readyz and
    // /metrics: once the rest are taken, a new connection gets one of these,
    // serves one such request under request_line_timeout and closes, so
    // probes and scrapes still answer while the server is flooded.
    // 0 here; the service sets RESERVED_OPS_CONNECTIONS (16 by default).
    std::size_t reserved_ops_connections = 0;
    // The paths a reserved (ops-only) connection may ask for.
    std::vector<std::string> ops_paths = {"/healthz", "/readyz", "/metrics"};
    // Connections one client address may hold; past it, 429 and close.
    // Addresses in per_client_exempt (a reverse proxy's, say) are not
    // limited. 0 (here; the service sets MAX_CONNECTIONS_PER_CLIENT, 256 by
    // default): no limit.
    std::size_t max_connections_per_client = 0;
    std::vector<std::string> per_client_exempt;
    // Bytes all connections together may be reading into request bodies
    // (a body is counted at its Content-Length, or max_body_bytes when
    // chunked, from its authenticated header to its dispatch); past it, 503.
    std::size_t max_buffered_body_bytes = 64 * 1024 * 1024;
    // Bytes an EventStream may have queued but not yet written; a client
    // that falls this far behind is disconnected.
    std::size_t max_stream_buffer_bytes = 4 * 1024 * 1024;

    bool reuse_port = false;  // SO_REUSEPORT, for handing over a port on upgrade
    int listen_backlog = 1024;

    // Unexpected failures (a handler that threw, an accept error). Called on
    // an I/O thread; may be empty.
    std::function<void(std::string_view)> error_log;
};

// A snapshot of the server's counters, for the metrics endpoint. Requests
// rejected here never reach the handler, so only the server can count them.
struct HttpServerStats {
    std::size_t open_connections = 0;
    std::uint64_t connections_accepted = 0;        // served connections
    std::uint64_t connections_rejected = 0;        // over max_connections (503)
    std::uint64_t connections_rejected_per_client = 0;  // over max_connections_per_client (429)
    std::uint64_t ops_connections = 0;             // admitted into the reserved slice
    std::uint64_t requests_dispatched = 0;         // handed to the handler
    std::uint64_t requests_malformed = 0;          // 400
    std::uint64_t requests_body_too_large = 0;     // 413
    std::uint64_t requests_header_too_large = 0;   // 431
    std::uint64_t requests_not_implemented = 0;    // 501: unknown method or coding
    std::uint64_t requests_refused_before_body = 0;  // the handler's screen refused the header
    std::uint64_t requests_body_buffer_full = 0;   // 503: max_buffered_body_bytes reached
    std::uint64_t timeouts = 0;                    // header, body or write (not idle)
    std::uint64_t client_disconnects = 0;          // gone during an exchange
    std::uint64_t stream_overflows = 0;            // past max_stream_buffer_bytes
};

}  // namespace clawbot::service
