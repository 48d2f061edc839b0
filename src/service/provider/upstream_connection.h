#pragma once
// One HTTP/1.1 connection to the cloud-mode upstream, plain or TLS, with a
// deadline on every step. Used from coroutines on a single-threaded
// io_context; close() may be called between steps to abort the one pending.
#include <chrono>
#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange without it
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "service/provider/upstream_endpoint.h"

namespace clawbot::service {

namespace upstream_net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;
using Request = http::request<http::string_body>;
using ResponseParser = http::response_parser<http::string_body>;
}  // namespace upstream_net

// A TLS client context that checks certificates against the system's CA
// store (or the file named by SSL_CERT_FILE, as OpenSSL reads it).
boost::asio::ssl::context make_upstream_tls_context();

class UpstreamConnection {
public:
    // `tls` must outlive the connection; it is used only for https.
    UpstreamConnection(upstream_net::asio::any_io_executor executor, upstream_net::asio::ssl::context& tls,
                       const UpstreamEndpoint& endpoint);

    // Resolves, connects and (for https) completes the handshake, all
    // within `timeout`. beast::error::timeout when that passes.
    upstream_net::asio::awaitable<upstream_net::beast::error_code> connect(upstream_net::Clock::duration timeout);
    upstream_net::asio::awaitable<upstream_net::beast::error_code> write(upstream_net::Request& request,
                                                                         upstream_net::Clock::duration timeout);
    upstream_net::asio::awaitable<upstream_net::beast::error_code> read_header(upstream_net::ResponseParser& parser,
                                                                               upstream_net::Clock::duration timeout);
    // Some more of the body (whatever arrived), appended to the parser's body.
    upstream_net::asio::awaitable<upstream_net::beast::error_code> read_some(upstream_net::ResponseParser& parser,
                                                                             upstream_net::Clock::duration timeout);
    // The rest of the body (bounded by the parser's body_limit).
    upstream_net::asio::awaitable<upstream_net::beast::error_code> read_rest(upstream_net::ResponseParser& parser,
                                                                             upstream_net::Clock::duration timeout);

    // Aborts whatever is pending (it completes with operation_aborted) and
    // closes the socket. Call on the connection's executor.
    void close();

private:
    using Plain = upstream_net::beast::tcp_stream;
    using Tls = upstream_net::beast::ssl_stream<upstream_net::beast::tcp_stream>;

    Plain& lowest();

    const UpstreamEndpoint& endpoint_;
    std::variant<Plain, Tls> stream_;
    upstream_net::beast::flat_buffer buffer_;
};

}  // namespace clawbot::service
