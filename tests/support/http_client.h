#pragma once
// A small blocking HTTP/1.1 client over a loopback socket, for tests of the
// real server: plain requests, chunked and SSE responses.
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace clawbot::test {

struct HttpResult {
    int status = 0;  // 0: no response (connection failed or closed early)
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;  // de-chunked
    std::optional<std::string> header(const std::string& name) const;
};

struct HttpCall {
    std::string method = "GET";
    std::string path = "/";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::optional<std::string> bearer;  // adds Authorization: Bearer
};

// One request on a fresh connection ("Connection: close").
HttpResult http_request(int port, const HttpCall& call, std::chrono::seconds timeout = std::chrono::seconds(60));

// SSE events of a body: (event name, data) pairs; "message" when unnamed.
std::vector<std::pair<std::string, std::string>> parse_sse(const std::string& body);

// A connected socket to 127.0.0.1:port, or -1.
int connect_loopback(int port);

// Appends what arrives on `fd` to `out` until the peer closes (true) or
// `timeout` passes (false).
bool read_all(int fd, std::string& out, std::chrono::milliseconds timeout);

// Writes all of `bytes` (no SIGPIPE); false if the peer closed first.
bool send_all(int fd, const std::string& bytes);

}  // namespace clawbot::test
