#pragma once
// A scripted, misbehaving OpenAI-compatible upstream on loopback for the
// cloud-mode tests. Each connection is served by the next act of the script
// (the last act repeats): a good stream, a 429, a 500, a stall or a close at
// a chosen point. It records every request it read.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/http_client.h"

namespace clawbot::test {

enum class UpstreamAct {
    Ok,                 // 200 stream: "Hello", " world", finish, usage, [DONE]
    RateLimited,        // 429 with Retry-After: 0, echoing the Authorization header in its message
    ServerError,        // 500, echoing the Authorization header in its message
    Unauthorized,       // 401
    CloseBeforeAnswer,  // reads the request, closes without a byte
    StallAfterFirst,    // 200, "Hello", then silence until the client leaves
    CloseAfterFirst,    // 200, "Hello", then closes mid-stream
    SlowStream,         // 200, one delta every 100 ms for 10 s
};

class FakeUpstream {
public:
    explicit FakeUpstream(std::vector<UpstreamAct> script) : script_(std::move(script)) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::listen(listener_, 64);
        socklen_t len = sizeof addr;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }

    ~FakeUpstream() {
        stop_ = true;
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        acceptor_.join();
        for (auto& t : connections_) t.join();
    }

    int port() const { return port_; }
    int requests() const { return requests_.load(); }
    std::vector<std::string> received() const {
        std::lock_guard lock(mutex_);
        return received_;
    }
    // SlowStream: how many deltas went out before the client went away
    // (-1 while still streaming).
    int slow_stream_sent() const { return slow_sent_.load(); }

private:
    void accept_loop() {
        for (int index = 0; !stop_; ++index) {
            pollfd p{listener_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) {
                --index;
                continue;
            }
            const int fd = ::accept(listener_, nullptr, nullptr);
            if (fd < 0) {
                --index;
                continue;
            }
            const UpstreamAct act = script_[std::min<size_t>(static_cast<size_t>(index), script_.size() - 1)];
            connections_.emplace_back([this, fd, act] {
                serve(fd, act);
                ::close(fd);
            });
        }
    }

    // Reads one request (head and Content-Length body); "" on failure.
    std::string read_request(int fd) {
        std::string data;
        char buf[4096];
        size_t need = std::string::npos;
        while (!stop_) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) return "";
            data.append(buf, static_cast<size_t>(n));
            const size_t head_end = data.find("\r\n\r\n");
            if (head_end == std::string::npos) continue;
            if (need == std::string::npos) {
                size_t length = 0;
                const size_t at = data.find("Content-Length: ");
                if (at != std::string::npos && at < head_end) length = std::stoul(data.substr(at + 16));
                need = head_end + 4 + length;
            }
            if (data.size() >= need) return data;
        }
        return "";
    }

    static std::string header_value(const std::string& request, const std::string& name) {
        const size_t at = request.find(name + ": ");
        if (at == std::string::npos) return "";
        const size_t end = request.find("\r\n", at);
        return request.substr(at + name.size() + 2, end - at - name.size() - 2);
    }

    static std::string event(const std::string& json) { return "data: " + json + "\n\n"; }
    static std::string delta(const std::string& text) {
        return event(R"({"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":")" + text +
                     R"("},"finish_reason":null}]})");
    }
    static std::string stream_head() {
        return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" +
               event(R"({"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})");
    }
    static std::string refusal(int status, const std::string& reason, const std::string& message,
                               const std::string& extra_header = "") {
        const std::string body = R"({"error":{"message":")" + message + R"(","type":"x"}})";
        return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: application/json\r\n" + extra_header +
               "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    }

    // Waits until the client closes (or the fake stops).
    void wait_for_client_close(int fd) {
        char buf[256];
        while (!stop_) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            if (::recv(fd, buf, sizeof buf, 0) <= 0) return;
        }
    }

    void serve(int fd, UpstreamAct act) {
        const std::string request = read_request(fd);
        if (request.empty()) return;
        {
            std::lock_guard lock(mutex_);
            received_.push_back(request);
        }
        ++requests_;
        const std::string auth = header_value(request, "Authorization");
        switch (act) {
            case UpstreamAct::Ok:
                send_all(fd, stream_head() + delta("Hello") + delta(" world") +
                                 event(R"({"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})") +
                                 event(R"({"id":"x","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}})") +
                                 "data: [DONE]\n\n");
                return;
            case UpstreamAct::RateLimited:
                send_all(fd, refusal(429, "Too Many Requests", "slow down, " + auth, "Retry-After: 0\r\n"));
                return;
            case UpstreamAct::ServerError:
                send_all(fd, refusal(500, "Internal Server Error", "broken while serving " + auth));
                return;
            case UpstreamAct::Unauthorized:
                send_all(fd, refusal(401, "Unauthorized", "Incorrect API key provided: " + auth));
                return;
            case UpstreamAct::CloseBeforeAnswer: return;
            case UpstreamAct::StallAfterFirst:
                send_all(fd, stream_head() + delta("Hello"));
                wait_for_client_close(fd);
                return;
            case UpstreamAct::CloseAfterFirst:
                send_all(fd, stream_head() + delta("Hello"));
                return;
            case UpstreamAct::SlowStream: {
                send_all(fd, stream_head());
                int sent = 0;
                for (; sent < 100 && !stop_; ++sent) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
                    if (!send_all(fd, delta("tick "))) break;
                }
                slow_sent_ = sent;
                return;
            }
        }
    }

    std::vector<UpstreamAct> script_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> requests_{0};
    std::atomic<int> slow_sent_{-1};
    mutable std::mutex mutex_;
    std::vector<std::string> received_;
    std::thread acceptor_;
    std::vector<std::thread> connections_;  // touched by the acceptor only, joined after it
};

}  // namespace clawbot::test
