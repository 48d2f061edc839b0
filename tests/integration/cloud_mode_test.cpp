// Cloud mode (PROVIDER=openai) on the real binary: against another clawbot
// in local mode as the upstream (answers must be the upstream's, through
// both APIs, with conversations stored here), and against a scripted
// misbehaving upstream for retries, timeouts and breaks. The API key must
// never show up in a reply, a log line or /metrics.
#include <fstream>

#include "api_fixture.h"
#include "fake_upstream.h"

namespace clawbot::test {
namespace {

using nlohmann::json;

constexpr const char* kKey = "sk-test-5ecret-Key-0123456789";

class CloudModeTest : public ApiFixture {
protected:
    void TearDown() override {
        server_.reset();
        upstream_.reset();
        if (!upstream_dir_.empty()) std::filesystem::remove_all(upstream_dir_);
        ApiFixture::TearDown();
    }

    // A clawbot in local mode to answer as the upstream; returns its token.
    std::string start_local_upstream() {
        upstream_dir_ = make_temp_dir();
        const std::string config = upstream_dir_ + "/config.env";
        auto [rc, out] = run_clawbot_command("init --config " + config + " --data-dir " + upstream_dir_ + "/data");
        EXPECT_EQ(rc, 0) << out;
        upstream_ = std::make_unique<ServerProcess>(std::vector<std::string>{
            "--config", config, "--model-path", shared_path("models/stories260K.gguf"), "--ctx-size", "512"});
        EXPECT_TRUE(upstream_->started()) << upstream_->log();
        return first_token(out);
    }

    // This test's server in cloud mode; the key goes in the 0600 config file
    // (as `clawbot init` wrote it), never on the command line.
    void start_cloud(int upstream_port, const std::string& key, const std::string& model,
                     std::map<std::string, std::string> env = {}) {
        std::ofstream(config_, std::ios::app) << "API_KEY=" << key << "\n";
        env.emplace("UPSTREAM_URL", "http://127.0.0.1:" + std::to_string(upstream_port) + "/v1");
        env.emplace("UPSTREAM_MODEL", model);
        env.emplace("PROVIDER", "openai");
        env.emplace("UPSTREAM_CONNECT_TIMEOUT_S", "2");
        server_ = std::make_unique<ServerProcess>(std::vector<std::string>{"--config", config_}, env);
        ASSERT_TRUE(server_->started()) << server_->log();
    }

    HttpResult direct(const std::string& path, const json& body, const std::string& token) {
        HttpCall c;
        c.method = "POST";
        c.path = path;
        c.body = body.dump();
        c.bearer = token;
        return http_request(upstream_->port(), c);
    }

    // The key must not be in what the client saw, in the log, nor in /metrics.
    void expect_key_hidden(const std::string& key, const std::string& client_saw) {
        EXPECT_EQ(client_saw.find(key), std::string::npos) << client_saw;
        EXPECT_EQ(server_->log().find(key), std::string::npos) << server_->log();
        const HttpResult metrics = call("GET", "/metrics", "", admin_);
        EXPECT_EQ(metrics.status, 200);
        EXPECT_EQ(metrics.body.find(key), std::string::npos);
    }

    std::unique_ptr<ServerProcess> upstream_;
    std::string upstream_dir_;
};

std::string streamed_text(const HttpResult& r) {
    std::string text;
    for (const auto& [name, data] : parse_sse(r.body)) {
        if (data == "[DONE]") continue;
        const json chunk = json::parse(data, nullptr, false);
        if (!chunk.is_object() || !chunk.contains("choices") || chunk["choices"].empty()) continue;
        const json& delta = chunk["choices"][0]["delta"];
        if (delta.contains("content") && delta["content"].is_string()) text += delta["content"].get<std::string>();
    }
    return text;
}

TEST_F(CloudModeTest, AnswersAreTheUpstreamsThroughBothApis) {
    const std::string upstream_token = start_local_upstream();
    ASSERT_FALSE(upstream_token.empty());
    start_cloud(upstream_->port(), upstream_token, "stories260K");

    const HttpResult models = call("GET", "/v1/models", "", admin_);
    ASSERT_EQ(models.status, 200) << models.body;
    EXPECT_EQ(json_of(models)["data"][0]["id"], "stories260K");

    // The OpenAI API: the same greedy answer as asking the upstream directly.
    const json ask{{"messages", {{{"role", "user"}, {"content", "Once upon a time"}}}}, {"max_tokens", 16}, {"temperature", 0}};
    const HttpResult expected = direct("/v1/chat/completions", ask, upstream_token);
    ASSERT_EQ(expected.status, 200) << expected.body;
    const std::string expected_text = json_of(expected)["choices"][0]["message"]["content"];
    ASSERT_FALSE(expected_text.empty());

    const HttpResult whole = post_json("/v1/chat/completions", ask, admin_);
    ASSERT_EQ(whole.status, 200) << whole.body << server_->log();
    EXPECT_EQ(json_of(whole)["choices"][0]["message"]["content"], expected_text);
    EXPECT_EQ(json_of(whole)["usage"]["completion_tokens"], json_of(expected)["usage"]["completion_tokens"]);
    EXPECT_EQ(json_of(whole)["usage"]["prompt_tokens"], json_of(expected)["usage"]["prompt_tokens"]);
    EXPECT_EQ(json_of(whole)["choices"][0]["finish_reason"], json_of(expected)["choices"][0]["finish_reason"]);

    json streaming = ask;
    streaming["stream"] = true;
    streaming["stream_options"] = {{"include_usage", true}};
    const HttpResult streamed = post_json("/v1/chat/completions", streaming, admin_);
    ASSERT_EQ(streamed.status, 200) << streamed.body;
    EXPECT_EQ(streamed_text(streamed), expected_text);
    const auto events = parse_sse(streamed.body);
    ASSERT_GE(events.size(), 3u);
    EXPECT_EQ(json::parse(events.front().second)["choices"][0]["delta"]["role"], "assistant");
    EXPECT_EQ(events.back().second, "[DONE]");
    EXPECT_EQ(json::parse(events[events.size() - 2].second)["usage"]["completion_tokens"],
              json_of(expected)["usage"]["completion_tokens"]);

    // The native API: conversations live here, history goes upstream.
    const HttpResult first = post_json("/api/v1/chat", {{"query", "Once upon a time"}, {"max_tokens", 16}, {"temperature", 0}}, admin_);
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(json_of(first)["answer"], expected_text);
    const std::string conversation = json_of(first)["conversation_id"];
    const HttpResult second = post_json(
        "/api/v1/chat", {{"query", "And then?"}, {"conversation_id", conversation}, {"max_tokens", 8}, {"temperature", 0}}, admin_);
    ASSERT_EQ(second.status, 200) << second.body;
    const json follow_up{{"messages",
                          {{{"role", "user"}, {"content", "Once upon a time"}},
                           {{"role", "assistant"}, {"content", expected_text}},
                           {{"role", "user"}, {"content", "And then?"}}}},
                         {"max_tokens", 8},
                         {"temperature", 0}};
    const HttpResult expected_follow_up = direct("/v1/chat/completions", follow_up, upstream_token);
    EXPECT_EQ(json_of(second)["answer"], json_of(expected_follow_up)["choices"][0]["message"]["content"]);
    const HttpResult stored = call("GET", "/api/v1/conversations/" + conversation, "", admin_);
    ASSERT_EQ(stored.status, 200);
    EXPECT_EQ(json_of(stored)["messages"].size(), 4u) << stored.body;
    // Tokens are this server's: another server's token is refused here.
    EXPECT_EQ(post_json("/api/v1/chat", {{"query", "hi"}}, upstream_token).status, 401);

    expect_key_hidden(upstream_token, whole.body + streamed.body + first.body);
}

TEST_F(CloudModeTest, ARefusedKeyIsA502ThatNamesTheSettingNotTheKey) {
    start_local_upstream();
    start_cloud(upstream_->port(), kKey, "stories260K");
    const HttpResult r = post_json("/api/v1/chat", {{"query", "hi"}}, admin_);
    EXPECT_EQ(r.status, 502) << r.body;
    EXPECT_EQ(json_of(r)["error"]["code"], "upstream_error");
    EXPECT_NE(r.body.find("API_KEY"), std::string::npos) << r.body;
    expect_key_hidden(kKey, r.body);
}

TEST_F(CloudModeTest, RetriesRefusalsAndEarlyClosesBeforeTheFirstByte) {
    FakeUpstream fake({UpstreamAct::RateLimited, UpstreamAct::ServerError, UpstreamAct::CloseBeforeAnswer, UpstreamAct::Ok});
    start_cloud(fake.port(), kKey, "fake-model", {{"UPSTREAM_RETRIES", "3"}});
    const HttpResult r = post_json("/api/v1/chat", {{"query", "hi there"}}, admin_);
    ASSERT_EQ(r.status, 200) << r.body << server_->log();
    EXPECT_EQ(json_of(r)["answer"], "Hello world");
    EXPECT_EQ(json_of(r)["usage"]["completion_tokens"], 2);
    EXPECT_EQ(fake.requests(), 4);
    // What went upstream: the key as a bearer token, the model, a stream, the question.
    const std::string sent = fake.received().back();
    EXPECT_NE(sent.find("POST /v1/chat/completions HTTP/1.1"), std::string::npos) << sent;
    EXPECT_NE(sent.find(std::string("Authorization: Bearer ") + kKey), std::string::npos) << sent;
    const json body = json::parse(sent.substr(sent.find("\r\n\r\n") + 4));
    EXPECT_EQ(body["model"], "fake-model");
    EXPECT_EQ(body["stream"], true);
    EXPECT_EQ(body["messages"].back()["content"], "hi there");
    // Three retries were logged; the echoed key was not.
    size_t retries = 0;
    const std::string log = server_->log();
    for (size_t at = log.find("; retry "); at != std::string::npos; at = log.find("; retry ", at + 1)) ++retries;
    EXPECT_EQ(retries, 3u) << log;
    const std::string metrics = call("GET", "/metrics", "", admin_).body;
    EXPECT_NE(metrics.find("clawbot_upstream_retries_total 3"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("clawbot_upstream_failures_total 0"), std::string::npos) << metrics;
    expect_key_hidden(kKey, r.body);
}

TEST_F(CloudModeTest, GivesUpAfterItsRetriesWithAClearError) {
    FakeUpstream fake({UpstreamAct::ServerError});
    start_cloud(fake.port(), kKey, "fake-model", {{"UPSTREAM_RETRIES", "2"}});
    const HttpResult r = post_json("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"stream", true}}, admin_);
    EXPECT_EQ(r.status, 502) << r.body;  // nothing was streamed yet: a real status, not a 200 stream
    EXPECT_EQ(json_of(r)["error"]["code"], "upstream_error");
    EXPECT_NE(r.body.find("HTTP 500"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("after 3 tries"), std::string::npos) << r.body;
    EXPECT_EQ(fake.requests(), 3);
    EXPECT_NE(call("GET", "/metrics", "", admin_).body.find("clawbot_upstream_failures_total 1"), std::string::npos);
    expect_key_hidden(kKey, r.body);
}

TEST_F(CloudModeTest, UpstreamRateLimitReachesTheClientAs429) {
    FakeUpstream fake({UpstreamAct::RateLimited});
    start_cloud(fake.port(), kKey, "fake-model", {{"UPSTREAM_RETRIES", "1"}});
    const HttpResult r = post_json("/api/v1/chat", {{"query", "hi"}}, admin_);
    EXPECT_EQ(r.status, 429) << r.body;
    EXPECT_TRUE(r.header("Retry-After").has_value());
    EXPECT_EQ(fake.requests(), 2);
    expect_key_hidden(kKey, r.body);
}

TEST_F(CloudModeTest, AStallAfterTheFirstByteEndsTheStreamWithAnErrorAndNoRetry) {
    FakeUpstream fake({UpstreamAct::StallAfterFirst});
    start_cloud(fake.port(), kKey, "fake-model", {{"UPSTREAM_READ_TIMEOUT_S", "1"}});
    const HttpResult r = post_json("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"stream", true}}, admin_);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(streamed_text(r), "Hello");
    const auto events = parse_sse(r.body);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(json::parse(events.back().second)["error"]["code"], "upstream_timeout") << r.body;
    EXPECT_EQ(r.body.find("[DONE]"), std::string::npos);
    EXPECT_EQ(fake.requests(), 1);

    // Not streamed: the client has seen nothing, so it gets a status; the
    // exchange is not stored.
    const HttpResult native = post_json("/api/v1/chat", {{"query", "hi"}}, admin_);
    EXPECT_EQ(native.status, 504) << native.body;
    EXPECT_EQ(json_of(call("GET", "/api/v1/conversations", "", admin_))["conversations"].size(), 0u);
}

TEST_F(CloudModeTest, AnEarlyCloseAfterTheFirstByteIsAnErrorEventAndNoRetry) {
    FakeUpstream fake({UpstreamAct::CloseAfterFirst});
    start_cloud(fake.port(), kKey, "fake-model");
    const HttpResult r = post_json("/api/v1/chat", {{"query", "hi"}, {"stream", true}}, admin_);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto events = parse_sse(r.body);
    ASSERT_GE(events.size(), 2u) << r.body;
    EXPECT_EQ(events.front().first, "delta");
    EXPECT_EQ(json::parse(events.front().second)["text"], "Hello");
    EXPECT_EQ(events.back().first, "error");
    EXPECT_EQ(json::parse(events.back().second)["error"]["code"], "upstream_error");
    EXPECT_NE(events.back().second.find("before it finished"), std::string::npos);
    EXPECT_EQ(fake.requests(), 1);
}

TEST_F(CloudModeTest, AClientThatLeavesStopsTheUpstreamRequest) {
    FakeUpstream fake({UpstreamAct::SlowStream});
    start_cloud(fake.port(), kKey, "fake-model");
    const int fd = connect_loopback(server_->port());
    ASSERT_GE(fd, 0);
    const std::string body = json{{"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"stream", true}}.dump();
    const std::string request = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin_ +
                                "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                                "\r\n\r\n" + body;
    ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
    std::string seen;
    char buf[4096];
    while (seen.find("tick") == std::string::npos) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        ASSERT_GT(n, 0) << seen;
        seen.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    for (int i = 0; i < 100 && fake.slow_stream_sent() < 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    // 100 ticks take 10 s; the upstream connection must close long before.
    EXPECT_GE(fake.slow_stream_sent(), 1);
    EXPECT_LT(fake.slow_stream_sent(), 60);
}

TEST_F(CloudModeTest, ARefusedConnectionIsRetriedThenA502) {
    int closed_port = 0;
    {
        FakeUpstream gone({UpstreamAct::Ok});
        closed_port = gone.port();
    }
    start_cloud(closed_port, kKey, "fake-model", {{"UPSTREAM_RETRIES", "1"}});
    const HttpResult r = post_json("/api/v1/chat", {{"query", "hi"}}, admin_);
    EXPECT_EQ(r.status, 502) << r.body;
    EXPECT_NE(r.body.find("could not connect"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("after 2 tries"), std::string::npos) << r.body;
}

TEST_F(CloudModeTest, MissingOrBadUpstreamSettingsStopTheStartWithTheSettingsName) {
    auto [rc, out] = run_clawbot_command("serve --config " + config_ + " --provider openai --upstream-model m --port 0");
    EXPECT_NE(rc, 0);
    EXPECT_NE(out.find("UPSTREAM_URL"), std::string::npos) << out;
    std::tie(rc, out) = run_clawbot_command("serve --config " + config_ + " --provider openai --upstream-url http://127.0.0.1:9/v1 --port 0");
    EXPECT_NE(rc, 0);
    EXPECT_NE(out.find("UPSTREAM_MODEL"), std::string::npos) << out;
    std::tie(rc, out) = run_clawbot_command("serve --config " + config_ +
                                            " --provider openai --upstream-model m --upstream-url http://127.0.0.1:9/v1 --port 0");
    EXPECT_NE(rc, 0);
    EXPECT_NE(out.find("API_KEY"), std::string::npos) << out;
    std::ofstream(config_, std::ios::app) << "API_KEY=" << kKey << "\n";
    std::tie(rc, out) = run_clawbot_command("serve --config " + config_ +
                                            " --provider openai --upstream-model m --upstream-url ftp://example.com --port 0");
    EXPECT_NE(rc, 0);
    EXPECT_NE(out.find("http:// or https://"), std::string::npos) << out;
    std::tie(rc, out) = run_clawbot_command("serve --config " + config_ +
                                            " --provider openai --upstream-model m --upstream-url http://user:pw-hunter2@example.com --port 0");
    EXPECT_NE(rc, 0);
    EXPECT_NE(out.find("credentials"), std::string::npos) << out;
    EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
    EXPECT_EQ(out.find(kKey), std::string::npos);
}

}  // namespace
}  // namespace clawbot::test
