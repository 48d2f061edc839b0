#include "service/http/overload_reply.h"

#include <array>
#include <atomic>
#include <chrono>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "service/http/wire_format.h"

namespace clawbot::service {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

constexpr int kMaxRepliesInFlight = 64;
constexpr std::chrono::seconds kWriteTimeout{2};
constexpr std::chrono::seconds kLingerTimeout{1};

std::atomic<int> g_replies_in_flight{0};

std::string overload_response_bytes(OverloadKind kind) {
    const bool client = kind == OverloadKind::client_over_cap;
    const int status = client ? 429 : 503;
    HttpResponse response =
        client ? json_error_response(429, "too_many_connections", "too many open connections from your address")
               : json_error_response(503, "overloaded", "too many open connections; retry later");
    response.set_header("Retry-After", "1");
    ResponseHead head;
    head.status = status;
    head.headers = &response.headers;
    head.content_length = response.body.size();
    head.keep_alive = false;
    return serialize_response_head(head) + response.body;
}

// Writes the reply, stops sending, and reads until the client closes (or
// kLingerTimeout), so the client reads the 503 instead of a reset.
class OverloadReply : public std::enable_shared_from_this<OverloadReply> {
public:
    OverloadReply(tcp::socket socket, OverloadKind kind)
        : stream_(std::move(socket)), bytes_(overload_response_bytes(kind)) {}
    ~OverloadReply() { g_replies_in_flight.fetch_sub(1); }

    void start() {
        stream_.expires_after(kWriteTimeout);
        net::async_write(stream_, net::buffer(bytes_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            boost::system::error_code ignored;
            self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            self->stream_.expires_after(kLingerTimeout);
            self->read_until_closed();
        });
    }

private:
    void read_until_closed() {
        // The one timeout armed above bounds all of these reads together.
        stream_.async_read_some(net::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (!ec) self->read_until_closed();
        });
    }

    beast::tcp_stream stream_;
    std::string bytes_;
    std::array<char, 1024> scratch_{};
};

}  // namespace

void send_overload_reply(const std::shared_ptr<ServerCore>&, tcp::socket socket, OverloadKind kind) {
    if (g_replies_in_flight.fetch_add(1) >= kMaxRepliesInFlight) {
        g_replies_in_flight.fetch_sub(1);
        return;  // the socket closes as it goes out of scope
    }
    std::make_shared<OverloadReply>(std::move(socket), kind)->start();
}

}  // namespace clawbot::service
