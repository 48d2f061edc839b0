// What an attacker or a long conversation finds, against the real binary:
// no body read before the token is checked, metrics labels from a fixed
// set, per-client connection limits with probes still answered, no request
// smuggling, rejections counted, long conversations that keep going, and
// per-token rate limits.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "api_fixture.h"

namespace clawbot::test {
namespace {

// A connection from a chosen loopback address (all of 127.0.0.0/8 is this
// machine), so tests can play several clients.
int connect_from(const char* source, int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &local.sin_addr);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Everything the server sends until it closes, or until `timeout`.
struct Received {
    std::string bytes;
    bool closed = false;
};
Received read_until_close(int fd, std::chrono::milliseconds timeout) {
    Received r;
    r.closed = read_all(fd, r.bytes, timeout);
    return r;
}

// Sends `request` on a new connection and returns what came back.
Received exchange(int port, const std::string& request, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const int fd = connect_loopback(port);
    if (fd < 0) return {};
    send_all(fd, request);
    Received r = read_until_close(fd, timeout);
    ::close(fd);
    return r;
}

bool eventually(const std::function<bool()>& condition, std::chrono::seconds limit = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
}

int status_of(const std::string& response) {
    if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return 0;
    return std::stoi(response.substr(9, 3));
}

int count_responses(const std::string& bytes) {
    int n = 0;
    // Status lines only: "HTTP/1.1 " followed by three digits and a space
    // (an error message may quote "HTTP/1.1 request").
    const auto digit = [&](size_t i) { return i < bytes.size() && bytes[i] >= '0' && bytes[i] <= '9'; };
    for (size_t at = bytes.find("HTTP/1.1 "); at != std::string::npos; at = bytes.find("HTTP/1.1 ", at + 1)) {
        if (digit(at + 9) && digit(at + 10) && digit(at + 11) && at + 12 < bytes.size() && bytes[at + 12] == ' ') ++n;
    }
    return n;
}

double metric_value(const std::string& metrics, const std::string& series) {
    std::istringstream lines(metrics);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    }
    return -1;
}

class HardeningTest : public ApiFixture {
protected:
    std::string metrics() { return call("GET", "/metrics", "", admin_).body; }
    std::string chat_header(size_t length, const std::string& extra = "") {
        return "POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(length) + "\r\n" + extra + "\r\n";
    }
};

TEST_F(HardeningTest, RequestWithoutValidTokenIsRefusedBeforeItsBodyIsRead) {
    start();
    // The whole header, none of the megabyte it announces: the 401 comes
    // back and the connection closes without waiting for the body.
    for (const std::string auth : {"", "Authorization: Bearer cb_not_a_real_token_at_all_xxxxxx\r\n"}) {
        const int fd = connect_loopback(server_->port());
        ASSERT_GE(fd, 0);
        ASSERT_TRUE(send_all(fd, chat_header(1024 * 1024, auth)));
        const Received r = read_until_close(fd, std::chrono::seconds(5));
        ::close(fd);
        EXPECT_EQ(status_of(r.bytes), 401) << r.bytes;
        EXPECT_TRUE(r.closed) << "the server waited for a body it should never read";
    }
    // Expect: 100-continue without a token gets the 401, never "100 Continue".
    Received r = exchange(server_->port(), chat_header(1000, "Expect: 100-continue\r\n"));
    EXPECT_EQ(status_of(r.bytes), 401) << r.bytes;
    EXPECT_EQ(r.bytes.find("100 Continue"), std::string::npos) << r.bytes;
    // With a valid token the client is told to go on, and the request is served.
    const int fd = connect_loopback(server_->port());
    ASSERT_GE(fd, 0);
    const std::string body = R"({"query":"Hi","max_tokens":3})";
    ASSERT_TRUE(send_all(fd, chat_header(body.size(), "Expect: 100-continue\r\nAuthorization: Bearer " + admin_ + "\r\nConnection: close\r\n")));
    char buf[256];
    pollfd p{fd, POLLIN, 0};
    ASSERT_GT(::poll(&p, 1, 5000), 0);
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0u);
    ASSERT_TRUE(send_all(fd, body));
    r = read_until_close(fd, std::chrono::seconds(30));
    ::close(fd);
    EXPECT_EQ(status_of(r.bytes), 200) << r.bytes;
    // Refusals are counted under their route.
    EXPECT_EQ(metric_value(metrics(), R"(clawbot_http_requests_total{route="/api/v1/chat",method="POST",status="401"})"), 3);
}

TEST_F(HardeningTest, BodiesInFlightAreBoundedTogether) {
    start({"--max-buffered-body-bytes", "150000"});
    // One authenticated client is sending a 100 kB body slowly...
    const int slow = connect_loopback(server_->port());
    ASSERT_GE(slow, 0);
    ASSERT_TRUE(send_all(slow, chat_header(100000, "Authorization: Bearer " + admin_ + "\r\n") + "{\"query\":"));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // ...so a second one of the same size would pass the bound: 503 at once.
    Received r = exchange(server_->port(), chat_header(100000, "Authorization: Bearer " + admin_ + "\r\n"));
    EXPECT_EQ(status_of(r.bytes), 503) << r.bytes;
    EXPECT_NE(r.bytes.find("Retry-After: 1"), std::string::npos) << r.bytes;
    // A small body still fits beside it.
    EXPECT_EQ(post_json("/api/v1/chat", {{"query", "Hi"}, {"max_tokens", 2}}, admin_).status, 200);
    ::close(slow);
    // Once the slow one is gone its reservation is released.
    ASSERT_TRUE(eventually([&] {
        return status_of(exchange(server_->port(), chat_header(100000, "Authorization: Bearer " + admin_ + "\r\n"),
                                  std::chrono::milliseconds(500)).bytes) != 503;
    }));
}

TEST_F(HardeningTest, MetricLabelsComeFromAFixedSet) {
    start();
    for (int i = 0; i < 40; ++i) {
        const Received r = exchange(server_->port(), "MADEUP" + std::to_string(i) + " /x HTTP/1.1\r\nHost: x\r\n\r\n");
        EXPECT_EQ(status_of(r.bytes), 501) << r.bytes;
        EXPECT_EQ(call("GET", "/api/v1/nothing" + std::to_string(i), "", admin_).status, 404);
    }
    const std::string m = metrics();
    EXPECT_EQ(m.find("MADEUP"), std::string::npos);
    EXPECT_EQ(m.find("/api/v1/nothing"), std::string::npos);
    EXPECT_EQ(metric_value(m, R"(clawbot_http_requests_total{route="-",method="other",status="501"})"), 40) << m;
    EXPECT_EQ(metric_value(m, R"(clawbot_http_requests_total{route="other",method="GET",status="404"})"), 40) << m;
    EXPECT_EQ(metric_value(m, "clawbot_http_requests_not_implemented_total"), 40);
}

TEST_F(HardeningTest, OneClientCannotTakeEveryConnectionAndProbesStillAnswer) {
    start({"--max-connections-per-client", "20", "--request-line-timeout-s", "2", "--max-connections", "40",
           "--reserved-ops-connections", "4"});
    // One client holds all it may, silently.
    std::vector<int> held;
    for (int i = 0; i < 20; ++i) {
        const int fd = connect_from("127.0.0.1", server_->port());
        ASSERT_GE(fd, 0);
        held.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    // Its next connection is refused with 429 ...
    const int extra = connect_from("127.0.0.1", server_->port());
    ASSERT_GE(extra, 0);
    Received r = read_until_close(extra, std::chrono::seconds(3));
    ::close(extra);
    EXPECT_EQ(status_of(r.bytes), 429) << r.bytes;
    // ... while another client's probes all answer.
    int ok = 0;
    for (int i = 0; i < 15; ++i) {
        const int fd = connect_from("127.0.0.2", server_->port());
        if (fd < 0) continue;
        send_all(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        ok += status_of(read_until_close(fd, std::chrono::seconds(3)).bytes) == 200;
        ::close(fd);
    }
    EXPECT_EQ(ok, 15);
    // Connections that never sent a request line are closed after the
    // short timeout, not header_timeout.
    const auto since = std::chrono::steady_clock::now();
    for (int fd : held) EXPECT_TRUE(read_until_close(fd, std::chrono::seconds(6)).closed);
    EXPECT_LT(std::chrono::steady_clock::now() - since, std::chrono::seconds(6));
    for (int fd : held) ::close(fd);
    // The server counts a timeout as it closes, which a loaded host may
    // schedule just after the client has seen the close: read until it shows.
    std::string m = metrics();
    for (int i = 0; i < 100 && metric_value(m, "clawbot_http_timeouts_total") < 20; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        m = metrics();
    }
    EXPECT_GE(metric_value(m, "clawbot_http_connections_rejected_per_client_total"), 1);
    EXPECT_GE(metric_value(m, "clawbot_http_timeouts_total"), 20);
}

TEST_F(HardeningTest, ReservedSlotsKeepHealthAndMetricsAnswerableWhenFull) {
    start({"--max-connections-per-client", "0", "--max-connections", "30", "--reserved-ops-connections", "4",
           "--request-line-timeout-s", "10", "--header-timeout-s", "10", "--metrics-public", "true"});
    std::vector<int> held;
    for (int i = 0; i < 26; ++i) {  // every ordinary slot
        const int fd = connect_loopback(server_->port());
        ASSERT_GE(fd, 0);
        held.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
        const Received r = exchange(server_->port(), std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
        EXPECT_EQ(status_of(r.bytes), 200) << path << ": " << r.bytes;
        EXPECT_TRUE(r.closed) << "a reserved slot serves one request and closes";
    }
    const Received chat = exchange(server_->port(), "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(status_of(chat.bytes), 503) << chat.bytes;
    for (int fd : held) ::close(fd);
}

TEST_F(HardeningTest, AmbiguousFramingIsRefusedNotSmuggled) {
    start();
    const std::string auth = "Authorization: Bearer " + admin_ + "\r\n";
    const std::string smuggled = "GET /v1/models HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n";
    struct Case {
        std::string request;
        int status;
    };
    const std::vector<Case> cases = {
        {"POST /api/v1/chat HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: gzip\r\n\r\n" + smuggled, 400},
        {"POST /api/v1/chat HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked, gzip\r\n\r\n" + smuggled, 400},
        {"POST /api/v1/chat HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + smuggled, 501},
        {"POST /api/v1/chat HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, 400},
        {"GET /v1/models HTTP/1.1\r\nHost: x\r\n" + auth + "X-Folded: a\r\n b\r\n\r\n" + smuggled, 400},
        {"GET /v1/models HTTP/1.1\r\n" + auth + "\r\n" + smuggled, 400},
        {"GET /v1/models HTTP/1.1\r\nHost: x\r\nHost: y\r\n" + auth + "\r\n" + smuggled, 400},
        {"BREW /v1/models HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n" + smuggled, 501},
    };
    for (const Case& c : cases) {
        const Received r = exchange(server_->port(), c.request);
        EXPECT_EQ(status_of(r.bytes), c.status) << c.request << "\n--\n" << r.bytes;
        EXPECT_EQ(count_responses(r.bytes), 1) << "the request behind it was answered:\n" << r.bytes;
        EXPECT_TRUE(r.closed);
        EXPECT_NE(r.bytes.find("Connection: close"), std::string::npos);
    }
    const std::string m = metrics();
    EXPECT_EQ(metric_value(m, R"(clawbot_http_requests_total{route="-",method="POST",status="400"})"), 3) << m;
    EXPECT_EQ(metric_value(m, R"(clawbot_http_requests_total{route="-",method="GET",status="400"})"), 3) << m;
    EXPECT_EQ(metric_value(m, "clawbot_http_requests_malformed_total"), 6);
}

TEST_F(HardeningTest, RejectionsAreCountedAndResponsesCarrySafetyHeaders) {
    start({"--max-body-bytes", "1000", "--max-header-bytes", "2000"});
    EXPECT_EQ(status_of(exchange(server_->port(), chat_header(5000, "Authorization: Bearer " + admin_ + "\r\n")).bytes), 413);
    EXPECT_EQ(status_of(exchange(server_->port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(3000, 'a') + "\r\n\r\n").bytes), 431);
    EXPECT_EQ(status_of(exchange(server_->port(), "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n").bytes), 400);
    const std::string m = metrics();
    EXPECT_EQ(metric_value(m, R"(clawbot_http_requests_total{route="-",method="POST",status="413"})"), 1) << m;
    EXPECT_EQ(metric_value(m, R"(clawbot_http_requests_total{route="-",method="GET",status="431"})"), 1) << m;
    EXPECT_EQ(metric_value(m, "clawbot_http_requests_body_too_large_total"), 1);
    EXPECT_EQ(metric_value(m, "clawbot_http_requests_header_too_large_total"), 1);
    for (const char* name : {"clawbot_http_timeouts_total", "clawbot_http_client_disconnects_total",
                             "clawbot_http_stream_overflows_total", "clawbot_http_requests_refused_before_body_total",
                             "clawbot_http_body_buffer_full_total"}) {
        EXPECT_GE(metric_value(m, name), 0) << name;
    }
    const HttpResult api = call("GET", "/v1/models", "", admin_);
    EXPECT_EQ(api.header("X-Content-Type-Options").value_or(""), "nosniff");
    const HttpResult page = call("GET", "/");
    EXPECT_EQ(page.header("X-Frame-Options").value_or(""), "DENY");
    EXPECT_NE(page.header("Content-Security-Policy").value_or("").find("frame-ancestors 'none'"), std::string::npos);
    // A message quoting bytes that are not UTF-8 is still valid JSON.
    const HttpResult bad = call("GET", "/api/v1/conversations/\xff\xfe", "", admin_);
    EXPECT_EQ(bad.status, 404);
    const HttpResult bad_path = call("GET", "/api/v1/\xc3\x28", "", admin_);
    EXPECT_FALSE(nlohmann::json::parse(bad_path.body, nullptr, false).is_discarded()) << bad_path.body;
}

TEST_F(HardeningTest, LongConversationsDropTheirOldestTurnsAndKeepGoing) {
    start({"--ctx-size", "256"});
    // Each question is long; after a few turns the history alone would
    // fill the context.
    std::string question;
    for (int i = 0; i < 30; ++i) question += "Once upon a time ";
    std::string conversation;
    int truncated = 0;
    for (int turn = 0; turn < 8; ++turn) {
        nlohmann::json body{{"query", question + std::to_string(turn)}, {"max_tokens", 16}, {"temperature", 0}};
        if (!conversation.empty()) body["conversation_id"] = conversation;
        const HttpResult r = post_json("/api/v1/chat", body, admin_);
        ASSERT_EQ(r.status, 200) << "turn " << turn << ": " << r.body;
        const auto j = json_of(r);
        conversation = j["conversation_id"];
        EXPECT_LE(j["usage"]["prompt_tokens"].get<int>() + j["usage"]["completion_tokens"].get<int>(), 256);
        truncated = j["usage"]["truncated_turns"].get<int>();
    }
    EXPECT_GT(truncated, 0) << "the last turns did not fit without dropping old ones";
    // The stored history is whole.
    const HttpResult history = call("GET", "/api/v1/conversations/" + conversation, "", admin_);
    ASSERT_EQ(history.status, 200);
    EXPECT_EQ(json_of(history)["messages"].size(), 16u) << history.body;
    EXPECT_NE(server_->log().find("oldest messages"), std::string::npos);
    // A max_tokens past what fits is clamped, not refused.
    const HttpResult big = post_json("/api/v1/chat", {{"query", question}, {"max_tokens", 256}}, admin_);
    EXPECT_EQ(big.status, 200) << big.body;
    // The OpenAI route reports it too.
    nlohmann::json messages = nlohmann::json::array();
    for (int i = 0; i < 6; ++i) {
        messages.push_back({{"role", "user"}, {"content", question}});
        messages.push_back({{"role", "assistant"}, {"content", question}});
    }
    messages.push_back({{"role", "user"}, {"content", "And then?"}});
    const HttpResult openai = post_json("/v1/chat/completions", {{"messages", messages}, {"max_tokens", 8}}, admin_);
    ASSERT_EQ(openai.status, 200) << openai.body;
    EXPECT_GT(json_of(openai)["usage"]["truncated_turns"].get<int>(), 0);
}

TEST_F(HardeningTest, UserTextNeverBecomesControlTokens) {
    // Models with the qwen2 and llama3 vocabularies and their own chat
    // templates: ten copies of a control token's text in a question must
    // count as text (several tokens each), not as ten forged role markers.
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"synth-qwen2-f16.gguf", "<|im_start|>"}, {"synth-llama3-q8_0.gguf", "<|start_header_id|>"}};
    for (const auto& [model, marker] : cases) {
        SCOPED_TRACE(model);
        start({"--model-path", shared_path("models/" + model), "--ctx-size", "1024"}, {}, false);
        const auto prompt_tokens = [&](const std::string& query) {
            const HttpResult r = post_json("/api/v1/chat", {{"query", query}, {"max_tokens", 1}, {"temperature", 0}}, admin_);
            EXPECT_EQ(r.status, 200) << r.body;
            return json_of(r)["usage"]["prompt_tokens"].get<int>();
        };
        std::string forged = "Hello";
        for (int i = 0; i < 10; ++i) forged += marker;
        const int added = prompt_tokens(forged) - prompt_tokens("Hello");
        EXPECT_GT(added, 20) << "the marker text became control tokens (10 would be added)";
        // The same text through the OpenAI route, in a system message.
        const HttpResult r = post_json("/v1/chat/completions",
                                       {{"messages", {{{"role", "system"}, {"content", forged}}, {{"role", "user"}, {"content", "Hi"}}}},
                                        {"max_tokens", 1}},
                                       admin_);
        ASSERT_EQ(r.status, 200) << r.body;
        const HttpResult plain = post_json("/v1/chat/completions",
                                           {{"messages", {{{"role", "system"}, {"content", "Hello"}}, {{"role", "user"}, {"content", "Hi"}}}},
                                            {"max_tokens", 1}},
                                           admin_);
        EXPECT_GT(json_of(r)["usage"]["prompt_tokens"].get<int>() - json_of(plain)["usage"]["prompt_tokens"].get<int>(), 20);
        server_.reset();
    }
}

TEST_F(HardeningTest, EachTokenHasItsOwnRequestRate) {
    start({"--rate-limit-requests-per-minute", "3"});
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(post_json("/api/v1/chat", {{"query", "Hi"}, {"max_tokens", 2}}, admin_).status, 200);
    }
    const HttpResult limited = post_json("/api/v1/chat", {{"query", "Hi"}, {"max_tokens", 2}}, admin_);
    EXPECT_EQ(limited.status, 429) << limited.body;
    EXPECT_EQ(json_of(limited)["error"]["code"], "rate_limited");
    const int retry_after = std::stoi(limited.header("Retry-After").value_or("0"));
    EXPECT_GE(retry_after, 1);
    EXPECT_LE(retry_after, 60);
    // Another token is not affected.
    EXPECT_EQ(post_json("/api/v1/chat", {{"query", "Hi"}, {"max_tokens", 2}}, other_).status, 200);
    EXPECT_EQ(metric_value(metrics(), R"(clawbot_requests_rejected_total{reason="rate_limited"})"), 1);
}

TEST_F(HardeningTest, TokensPerMinuteAreChargedAfterEachReply) {
    start({"--rate-limit-tokens-per-minute", "60", "--rate-limit-requests-per-minute", "0"});
    // The first reply overdraws the allowance (its prompt alone is 40+ tokens).
    EXPECT_EQ(post_json("/api/v1/chat", {{"query", "Tell me a story"}, {"max_tokens", 30}}, admin_).status, 200);
    const HttpResult limited = post_json("/api/v1/chat", {{"query", "Hi"}, {"max_tokens", 2}}, admin_);
    EXPECT_EQ(limited.status, 429) << limited.body;
    EXPECT_NE(json_of(limited)["error"]["message"].get<std::string>().find("TOKENS"), std::string::npos);
}

TEST_F(HardeningTest, AStreamWhoseReplyCannotBeStoredEndsInAnErrorAndIsCountedAsOne) {
    start({"--ctx-size", "512"});
    const HttpResult created = post_json("/api/v1/conversations", nlohmann::json::object(), admin_);
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = json_of(created)["id"];
    // A long streamed answer; the conversation is deleted while it streams,
    // so the reply has nowhere to be stored.
    const std::string body = nlohmann::json{{"query", "Once upon a time"}, {"conversation_id", id}, {"stream", true},
                                            {"max_tokens", 400}, {"temperature", 0}}.dump();
    const int fd = connect_loopback(server_->port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(send_all(fd, chat_header(body.size(), "Authorization: Bearer " + admin_ + "\r\nConnection: close\r\n") + body));
    std::string got;
    char buf[4096];
    while (got.find("event: delta") == std::string::npos) {
        pollfd p{fd, POLLIN, 0};
        ASSERT_GT(::poll(&p, 1, 10000), 0) << got;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        ASSERT_GT(n, 0) << got;
        got.append(buf, static_cast<size_t>(n));
    }
    EXPECT_EQ(call("DELETE", "/api/v1/conversations/" + id, "", admin_).status, 204);
    got += read_until_close(fd, std::chrono::seconds(60)).bytes;
    ::close(fd);
    EXPECT_EQ(status_of(got), 200);
    EXPECT_NE(got.find("event: error"), std::string::npos) << got.substr(got.size() > 400 ? got.size() - 400 : 0);
    EXPECT_EQ(got.find("event: done"), std::string::npos);
    // Counted when the request's scope ends, just after its last byte.
    const char* counted = R"(clawbot_http_requests_total{route="/api/v1/chat",method="POST",status="503"})";
    EXPECT_TRUE(eventually([&] { return metric_value(metrics(), counted) >= 1; }));
    EXPECT_EQ(metric_value(metrics(), counted), 1);
    EXPECT_TRUE(eventually([&] { return server_->log().find("deleted meanwhile") != std::string::npos; }));
}

}  // namespace
}  // namespace clawbot::test
