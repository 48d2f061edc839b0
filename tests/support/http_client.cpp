#include "support/http_client.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace clawbot::test {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}


std::string dechunk(const std::string& raw) {
    std::string out;
    size_t pos = 0;
    while (pos < raw.size()) {
        const size_t eol = raw.find("\r\n", pos);
        if (eol == std::string::npos) break;
        const size_t size = std::stoul(raw.substr(pos, eol - pos), nullptr, 16);
        if (size == 0) break;
        out += raw.substr(eol + 2, size);
        pos = eol + 2 + size + 2;
    }
    return out;
}

}  // namespace

std::optional<std::string> HttpResult::header(const std::string& name) const {
    for (const auto& [k, v] : headers) {
        if (lower(k) == lower(name)) return v;
    }
    return std::nullopt;
}

bool read_all(int fd, std::string& out, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[16384];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return true;  // closed by the server
        out.append(buf, static_cast<size_t>(n));
    }
}

bool send_all(int fd, const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return false;
        sent += static_cast<size_t>(n);
    }
    return true;
}

int connect_loopback(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

HttpResult http_request(int port, const HttpCall& call, std::chrono::seconds timeout) {
    HttpResult result;
    const int fd = connect_loopback(port);
    if (fd < 0) return result;
    std::string req = call.method + " " + call.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (const auto& [k, v] : call.headers) req += k + ": " + v + "\r\n";
    if (call.bearer) req += "Authorization: Bearer " + *call.bearer + "\r\n";
    if (!call.body.empty() || call.method == "POST") req += "Content-Length: " + std::to_string(call.body.size()) + "\r\n";
    req += "\r\n" + call.body;
    send_all(fd, req);
    std::string raw;
    read_all(fd, raw, timeout);
    ::close(fd);
    const size_t header_end = raw.find("\r\n\r\n");
    if (header_end == std::string::npos) return result;
    std::istringstream head(raw.substr(0, header_end));
    std::string line;
    std::getline(head, line);
    if (line.size() > 12) result.status = std::atoi(line.substr(9, 3).c_str());
    while (std::getline(head, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        result.headers.emplace_back(line.substr(0, colon), value);
    }
    const std::string body = raw.substr(header_end + 4);
    const auto te = result.header("Transfer-Encoding");
    result.body = te && lower(*te).find("chunked") != std::string::npos ? dechunk(body) : body;
    return result;
}

std::vector<std::pair<std::string, std::string>> parse_sse(const std::string& body) {
    std::vector<std::pair<std::string, std::string>> events;
    std::string event = "message", data;
    std::istringstream in(body);
    std::string line;
    bool any = false;
    while (std::getline(in, line)) {
        if (line.empty()) {
            if (any) events.emplace_back(event, data);
            event = "message";
            data.clear();
            any = false;
        } else if (line[0] == ':') {
            continue;
        } else if (line.rfind("event: ", 0) == 0) {
            event = line.substr(7);
            any = true;
        } else if (line.rfind("data: ", 0) == 0) {
            if (!data.empty()) data += '\n';
            data.append(line, 6, std::string::npos);
            any = true;
        }
    }
    return events;
}

}  // namespace clawbot::test
