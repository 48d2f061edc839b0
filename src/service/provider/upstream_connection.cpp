#include "service/provider/upstream_connection.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl.hpp>

namespace clawbot::service {

using namespace upstream_net;

asio::ssl::context make_upstream_tls_context() {
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    boost::system::error_code ignored;  // without a CA store every handshake fails, with a clear error then
    tls.set_default_verify_paths(ignored);
    tls.set_verify_mode(asio::ssl::verify_peer);
    return tls;
}

namespace {

std::variant<beast::tcp_stream, beast::ssl_stream<beast::tcp_stream>> make_stream(asio::any_io_executor executor,
                                                                                  asio::ssl::context& tls, bool use_tls) {
    if (!use_tls) return beast::tcp_stream(executor);
    return std::variant<beast::tcp_stream, beast::ssl_stream<beast::tcp_stream>>(
        std::in_place_index<1>, beast::tcp_stream(executor), tls);
}

}  // namespace

UpstreamConnection::UpstreamConnection(asio::any_io_executor executor, asio::ssl::context& tls,
                                       const UpstreamEndpoint& endpoint)
    : endpoint_(endpoint), stream_(make_stream(std::move(executor), tls, endpoint.tls)) {}

UpstreamConnection::Plain& UpstreamConnection::lowest() {
    if (auto* plain = std::get_if<Plain>(&stream_)) return *plain;
    return beast::get_lowest_layer(std::get<Tls>(stream_));
}

asio::awaitable<beast::error_code> UpstreamConnection::connect(Clock::duration timeout) {
    beast::error_code ec;
    const auto deadline = Clock::now() + timeout;
    asio::ip::tcp::resolver resolver(co_await asio::this_coro::executor);
    // The lookup itself cannot be bounded here (getaddrinfo runs to its own
    // resolv.conf timeout); the connect and handshake share the deadline.
    auto endpoints = co_await resolver.async_resolve(endpoint_.host, endpoint_.port,
                                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return ec;
    lowest().expires_at(deadline);
    co_await lowest().async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return ec;
    lowest().socket().set_option(asio::ip::tcp::no_delay(true), ec);
    if (auto* tls = std::get_if<Tls>(&stream_)) {
        // SNI, and the certificate must name the host we asked for.
        if (!SSL_set_tlsext_host_name(tls->native_handle(), endpoint_.host.c_str())) {
            co_return beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
        }
        tls->set_verify_callback(asio::ssl::host_name_verification(endpoint_.host));
        co_await tls->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return ec;
}

asio::awaitable<beast::error_code> UpstreamConnection::write(Request& request, Clock::duration timeout) {
    beast::error_code ec;
    lowest().expires_after(timeout);
    co_await std::visit([&](auto& s) { return http::async_write(s, request, asio::redirect_error(asio::use_awaitable, ec)); },
                        stream_);
    co_return ec;
}

asio::awaitable<beast::error_code> UpstreamConnection::read_header(ResponseParser& parser, Clock::duration timeout) {
    beast::error_code ec;
    lowest().expires_after(timeout);
    co_await std::visit(
        [&](auto& s) { return http::async_read_header(s, buffer_, parser, asio::redirect_error(asio::use_awaitable, ec)); },
        stream_);
    co_return ec;
}

asio::awaitable<beast::error_code> UpstreamConnection::read_some(ResponseParser& parser, Clock::duration timeout) {
    beast::error_code ec;
    lowest().expires_after(timeout);
    co_await std::visit(
        [&](auto& s) { return http::async_read_some(s, buffer_, parser, asio::redirect_error(asio::use_awaitable, ec)); },
        stream_);
    co_return ec;
}

asio::awaitable<beast::error_code> UpstreamConnection::read_rest(ResponseParser& parser, Clock::duration timeout) {
    beast::error_code ec;
    lowest().expires_after(timeout);
    co_await std::visit(
        [&](auto& s) { return http::async_read(s, buffer_, parser, asio::redirect_error(asio::use_awaitable, ec)); },
        stream_);
    co_return ec;
}

void UpstreamConnection::close() {
    beast::error_code ignored;
    lowest().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
}

}  // namespace clawbot::service
