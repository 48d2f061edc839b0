// Many users at once against the real server: clean 429s, no crash,
// bounded memory, idle connections held, and KV freed on disconnect.
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "api_fixture.h"

namespace clawbot::test {
namespace {

using nlohmann::json;

long resident_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

// The value of an unlabelled metric line "NAME VALUE".
double metric(const std::string& body, const std::string& name) {
    const size_t at = body.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(body.substr(at + name.size() + 2));
}

class LoadTest : public ApiFixture {};

TEST_F(LoadTest, TwoHundredSimultaneousStreamsCompleteOrGetAClean429) {
    start({"--max-batch-size", "16", "--max-queue", "64"});
    constexpr int kClients = 200;
    const auto results = concurrent_posts(kClients, "/v1/chat/completions", [](int i) {
        return json{{"messages", json::array({{{"role", "user"}, {"content", "Tell me story " + std::to_string(i)}}})},
                    {"max_tokens", 24}, {"stream", true}};
    });
    int completed = 0, rejected = 0;
    for (const HttpResult& r : results) {
        if (r.status == 200) {
            const auto events = parse_sse(r.body);
            ASSERT_FALSE(events.empty());
            EXPECT_EQ(events.back().second, "[DONE]") << "a stream that was accepted must finish";
            ++completed;
        } else {
            EXPECT_EQ(r.status, 429) << r.body;
            EXPECT_TRUE(r.header("Retry-After").has_value());
            ++rejected;
        }
    }
    EXPECT_EQ(completed + rejected, kClients);
    EXPECT_GE(completed, 16 + 64) << "every slot and queue place should have been used";
    EXPECT_EQ(call("GET", "/healthz").status, 200) << "the server must stay up";
    const long rss = resident_kib(server_->pid());
    EXPECT_GT(rss, 0);
    EXPECT_LT(rss, 256 * 1024) << "resident memory must stay bounded";
}

TEST_F(LoadTest, AFullQueueAnswers429WithRetryAfter) {
    start({"--max-batch-size", "1", "--max-queue", "1"});
    const auto results = concurrent_posts(8, "/v1/chat/completions", [](int) {
        return json{{"messages", json::array({{{"role", "user"}, {"content", "Once upon a time"}}})}, {"max_tokens", 150}};
    });
    int ok = 0, rejected = 0;
    for (const HttpResult& r : results) {
        if (r.status == 200) {
            ++ok;
        } else {
            EXPECT_EQ(r.status, 429) << r.body;
            EXPECT_EQ(json_of(r)["error"]["code"], "overloaded");
            const auto retry = r.header("Retry-After");
            ASSERT_TRUE(retry.has_value());
            EXPECT_GE(std::stoi(*retry), 1);
            ++rejected;
        }
    }
    EXPECT_GE(ok, 2);  // one running, one queued
    EXPECT_GE(rejected, 1);
    auto metrics = call("GET", "/metrics", "", admin_);
    EXPECT_NE(metrics.body.find("clawbot_requests_rejected_total{reason=\"overloaded\"}"), std::string::npos);
    EXPECT_EQ(call("GET", "/healthz").status, 200);
}

TEST_F(LoadTest, MaxConcurrentRequestsCapsRequestsInFlight) {
    start({"--max-concurrent-requests", "2", "--max-batch-size", "16", "--max-queue", "64"});
    const auto results = concurrent_posts(8, "/api/v1/chat", [](int) {
        return json{{"query", "Once upon a time"}, {"max_tokens", 150}};
    });
    int ok = 0, capped = 0;
    for (const HttpResult& r : results) {
        if (r.status == 200) {
            ++ok;
        } else {
            ASSERT_EQ(r.status, 429) << r.body;
            EXPECT_NE(json_of(r)["error"]["message"].get<std::string>().find("MAX_CONCURRENT_REQUESTS"), std::string::npos);
            ++capped;
        }
    }
    EXPECT_GE(ok, 2);
    EXPECT_GE(capped, 1);
    // Slots come back: a request after the burst is served.
    EXPECT_EQ(post_json("/api/v1/chat", {{"query", "again"}, {"max_tokens", 2}}, admin_).status, 200);
}

TEST_F(LoadTest, ThousandIdleKeepAliveConnectionsAreHeldWhileRequestsAreServed) {
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_max < 2300) GTEST_SKIP() << "hard limit on open files below 2300";
    limit.rlim_cur = std::max<rlim_t>(limit.rlim_cur, 2300);
    setrlimit(RLIMIT_NOFILE, &limit);  // the server inherits it
    // Every connection comes from 127.0.0.1: exempt it from the per-client cap.
    start({"--max-connections", "2000", "--connection-limit-exempt", "127.0.0.1"});
    std::vector<int> idle;
    for (int i = 0; i < 1000; ++i) {
        const int fd = connect_loopback(server_->port());
        ASSERT_GE(fd, 0) << "connection " << i;
        idle.push_back(fd);
    }
    // Each idle connection has made one keep-alive request and stays open.
    const std::string ping = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int fd : idle) ASSERT_EQ(::send(fd, ping.data(), ping.size(), MSG_NOSIGNAL), static_cast<ssize_t>(ping.size()));
    auto chat = post_json("/api/v1/chat", {{"query", "Once upon a time"}, {"max_tokens", 8}}, admin_);
    EXPECT_EQ(chat.status, 200) << chat.body;
    const auto metrics = call("GET", "/metrics", "", admin_);
    EXPECT_GE(metric(metrics.body, "clawbot_open_connections"), 1000) << metrics.body.substr(0, 200);
    for (int fd : idle) ::close(fd);
}

TEST_F(LoadTest, AClientThatDisconnectsStopsItsGenerationAndFreesItsBlocks) {
    start({"--ctx-size", "2048"});
    const int fd = connect_loopback(server_->port());
    ASSERT_GE(fd, 0);
    const std::string body = json{{"query", "Once upon a time"}, {"max_tokens", 1900}, {"stream", true}}.dump();
    const std::string request = "POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin_ +
                                "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                                "\r\n\r\n" + body;
    ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
    char buf[512];
    ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);  // the stream has started
    ::close(fd);
    double used = -1, completion = -1;
    for (int i = 0; i < 200; ++i) {
        const auto m = call("GET", "/metrics", "", admin_).body;
        used = metric(m, "clawbot_kv_blocks_used");
        const size_t at = m.find("clawbot_tokens_total{kind=\"completion\"} ");
        completion = at == std::string::npos ? -1 : std::stod(m.substr(m.find(' ', at) + 1));
        if (used == 0 && completion >= 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(used, 0) << "the disconnected request still holds KV blocks";
    EXPECT_GE(completion, 0);
    EXPECT_LT(completion, 1900) << "generation ran to the end although the client was gone";
    // The question and the answer as far as it got are kept, marked as
    // stopped, so a reload still shows them (stored off the engine thread:
    // wait for it).
    json conversations;
    for (int i = 0; i < 200; ++i) {
        conversations = json_of(call("GET", "/api/v1/conversations", "", admin_))["conversations"];
        if (!conversations.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(conversations.size(), 1u);
    const json messages =
        json_of(call("GET", "/api/v1/conversations/" + conversations[0]["id"].get<std::string>(), "", admin_))["messages"];
    ASSERT_EQ(messages.size(), 2u) << messages.dump();
    EXPECT_EQ(messages[0]["content"], "Once upon a time");
    EXPECT_EQ(messages[1]["finish_reason"], "cancelled");
}

TEST_F(LoadTest, RequestsWithTheSameSystemPromptShareItsBlocks) {
    start({"--ctx-size", "1024"});
    const std::string system(200, 's');  // several blocks of identical prefix
    auto first = post_json("/api/v1/chat", {{"query", "one"}, {"system", system}, {"max_tokens", 2}}, admin_);
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(json_of(first)["usage"]["cached_tokens"], 0);
    auto second = post_json("/api/v1/chat", {{"query", "two"}, {"system", system}, {"max_tokens", 2}}, other_);
    ASSERT_EQ(second.status, 200) << second.body;
    EXPECT_GE(json_of(second)["usage"]["cached_tokens"].get<int>(), 32) << second.body;
}

}  // namespace
}  // namespace clawbot::test
