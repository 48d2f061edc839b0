#pragma once
// For the HTTP layer's tests: a blocking raw-socket client (so the tests see
// exactly the bytes on the wire, chunked framing included), a handler built
// from a lambda, and a server started on an ephemeral port. Every read has a
// timeout, so a broken server fails a test instead of hanging it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "service/http/http_handler.h"
#include "service/http/http_message.h"
#include "service/http/http_server.h"

namespace clawbot::test::http_layer {

using namespace std::chrono_literals;
using service::HttpHeaders;

struct ParsedResponse {
    int status = 0;
    HttpHeaders headers;
    std::string body;

    std::optional<std::string> header(std::string_view name) const {
        for (const auto& [field, value] : headers) {
            if (service::header_name_equals(field, name)) return value;
        }
        return std::nullopt;
    }
};

class RawClient {
public:
    // `small_receive_buffer`: a tiny TCP window, so that a test can make the
    // server's writes back up quickly by not reading.
    explicit RawClient(int port, std::chrono::milliseconds read_timeout = 5s,
                       bool small_receive_buffer = false) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd_ < 0) return;
        if (small_receive_buffer) {
            int size = 4096;  // before connect(), so the window is negotiated small
            ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        }
        timeval tv{};
        tv.tv_sec = static_cast<time_t>(read_timeout.count() / 1000);
        tv.tv_usec = static_cast<suseconds_t>((read_timeout.count() % 1000) * 1000);
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            connect_errno_ = errno;
            close();
        }
    }
    ~RawClient() { close(); }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    bool connected() const { return fd_ >= 0; }
    int connect_errno() const { return connect_errno_; }
    int fd() const { return fd_; }

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    bool send_all(std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // One complete response (Content-Length, chunked, or until close).
    std::optional<ParsedResponse> read_response(bool head_request = false) {
        auto response = read_head();
        if (!response) return std::nullopt;
        if (head_request || response->status == 204 || response->status == 304 ||
            response->status < 200) {
            return response;
        }
        if (auto te = response->header("Transfer-Encoding"); te && *te == "chunked") {
            for (int i = 0; i < 1'000'000; ++i) {
                auto chunk = read_chunk();
                if (!chunk) return std::nullopt;
                if (chunk->empty()) return response;
                response->body += *chunk;
            }
            return std::nullopt;
        }
        if (auto length = response->header("Content-Length")) {
            auto body = read_exact(std::strtoull(length->c_str(), nullptr, 10));
            if (!body) return std::nullopt;
            response->body = std::move(*body);
            return response;
        }
        response->body = read_until_close();
        return response;
    }

    // The status line and the fields, nothing of the body.
    std::optional<ParsedResponse> read_head() {
        auto status_line = read_line();
        if (!status_line || status_line->rfind("HTTP/1.", 0) != 0 || status_line->size() < 12) {
            return std::nullopt;
        }
        ParsedResponse response;
        response.status = std::atoi(status_line->c_str() + 9);
        for (int i = 0; i < 1000; ++i) {
            auto line = read_line();
            if (!line) return std::nullopt;
            if (line->empty()) return response;
            const auto colon = line->find(':');
            if (colon == std::string::npos) return std::nullopt;
            std::string value = line->substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            response.headers.emplace_back(line->substr(0, colon), value);
        }
        return std::nullopt;
    }

    // The data of the next chunk; empty for the last chunk (its trailing
    // CRLF consumed); nullopt when the framing is broken or the read fails.
    std::optional<std::string> read_chunk() {
        auto size_line = read_line();
        if (!size_line || size_line->empty()) return std::nullopt;
        char* end = nullptr;
        const unsigned long long size = std::strtoull(size_line->c_str(), &end, 16);
        if (end == size_line->c_str()) return std::nullopt;
        if (size == 0) {
            auto trailer_end = read_line();
            if (!trailer_end || !trailer_end->empty()) return std::nullopt;
            return std::string();
        }
        auto data = read_exact(size);
        auto crlf = read_line();
        if (!data || !crlf || !crlf->empty()) return std::nullopt;
        return data;
    }

    std::string read_until_close() {
        std::string all = std::move(buffer_);
        buffer_.clear();
        char chunk[4096];
        for (;;) {
            const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n <= 0) return all;
            all.append(chunk, static_cast<std::size_t>(n));
        }
    }

    // true when the server closes (EOF or reset) within `timeout`; data
    // arriving meanwhile is dropped.
    bool wait_for_close(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        char scratch[4096];
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            const ssize_t n = ::recv(fd_, scratch, sizeof scratch, MSG_DONTWAIT);
            if (n == 0) return true;
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return true;
        }
        return false;
    }

    // Without blocking: has the server closed this connection?
    bool closed_by_peer() {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) return false;
        char byte;
        const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    }

private:
    bool fill() {
        char chunk[4096];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    std::optional<std::string> read_line() {
        for (int i = 0; i < 100'000; ++i) {
            const auto end = buffer_.find("\r\n");
            if (end != std::string::npos) {
                std::string line = buffer_.substr(0, end);
                buffer_.erase(0, end + 2);
                return line;
            }
            if (!fill()) return std::nullopt;
        }
        return std::nullopt;
    }

    std::optional<std::string> read_exact(std::size_t size) {
        for (int i = 0; buffer_.size() < size; ++i) {
            if (i > 1'000'000 || !fill()) return std::nullopt;
        }
        std::string data = buffer_.substr(0, size);
        buffer_.erase(0, size);
        return data;
    }

    int fd_ = -1;
    int connect_errno_ = 0;
    std::string buffer_;
};

inline std::string get_request(std::string_view target, std::string_view extra_headers = "") {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
           "\r\n";
}

inline std::string post_request(std::string_view target, std::string_view body) {
    return "POST " + std::string(target) + " HTTP/1.1\r\nHost: test\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

class FunctionHandler : public service::HttpHandler {
public:
    using Function = std::function<void(service::HttpRequest, std::shared_ptr<service::Responder>)>;
    explicit FunctionHandler(Function function) : function_(std::move(function)) {}
    void handle(service::HttpRequest request, std::shared_ptr<service::Responder> responder) override {
        function_(std::move(request), std::move(responder));
    }

private:
    Function function_;
};

// Answers "METHOD PATH?QUERY BODY" as text/plain.
inline void echo(service::HttpRequest request, std::shared_ptr<service::Responder> responder) {
    service::HttpResponse response;
    response.headers.emplace_back("Content-Type", "text/plain");
    response.body = request.method + " " + request.path + "?" + request.query + " " + request.body;
    responder->respond(std::move(response));
}

inline service::HttpServerOptions test_options() {
    service::HttpServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    return options;
}

// A started server on an ephemeral port; stops when it goes out of scope.
struct RunningServer {
    RunningServer(service::HttpServerOptions options, FunctionHandler::Function function, int threads = 2)
        : handler(std::move(function)), server(std::move(options), handler) {
        auto listening = server.listen();
        EXPECT_TRUE(listening.ok()) << (listening.ok() ? "" : listening.error().message);
        server.start(threads);
    }
    int port() const { return server.port(); }

    FunctionHandler handler;
    service::HttpServer server;
};

// Polls `condition` every 10 ms until it holds or `timeout` passes.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return condition();
}

}  // namespace clawbot::test::http_layer
