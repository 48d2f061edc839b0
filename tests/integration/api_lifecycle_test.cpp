// Start-up, shutdown and durability of the real server process.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <sys/stat.h>

#include "api_fixture.h"

namespace clawbot::test {
namespace {

using nlohmann::json;

class Lifecycle : public ApiFixture {};

TEST_F(Lifecycle, AcknowledgedMessagesSurviveKillMinus9) {
    start();
    auto r = post_json("/api/v1/chat", {{"query", "Remember this: 42 🦀"}, {"max_tokens", 10}}, admin_);
    ASSERT_EQ(r.status, 200) << r.body;
    const json ack = json_of(r);
    // Killed right after the acknowledgement, no chance to flush anything.
    EXPECT_EQ(server_->stop(SIGKILL), 128 + SIGKILL);
    start();
    auto conv = call("GET", "/api/v1/conversations/" + ack["conversation_id"].get<std::string>(), "", admin_);
    ASSERT_EQ(conv.status, 200) << conv.body;
    const json c = json_of(conv);
    ASSERT_EQ(c["messages"].size(), 2u);
    EXPECT_EQ(c["messages"][0]["content"], "Remember this: 42 🦀");
    EXPECT_EQ(c["messages"][1]["content"], ack["answer"]);
    EXPECT_EQ(c["messages"][1]["id"], ack["message_id"]);
}

TEST_F(Lifecycle, SigtermLetsARunningReplyFinishThenExitsZero) {
    start();
    const int port = server_->port();
    std::thread client([&] {
        HttpCall c;
        c.method = "POST";
        c.path = "/api/v1/chat";
        c.bearer = admin_;
        c.body = json{{"query", "Once upon a time"}, {"max_tokens", 150}, {"stream", true}}.dump();
        const HttpResult r = http_request(port, c);
        EXPECT_EQ(r.status, 200);
        const auto events = parse_sse(r.body);
        ASSERT_FALSE(events.empty());
        EXPECT_EQ(events.back().first, "done") << "the reply was cut off by the shutdown";
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->log();
    client.join();
}

TEST_F(Lifecycle, WithoutAModelChatsAre503AndNotReady) {
    start({}, {}, /*with_model=*/false);
    EXPECT_EQ(call("GET", "/healthz").status, 200);
    auto ready = call("GET", "/readyz");
    EXPECT_EQ(ready.status, 503);
    EXPECT_NE(json_of(ready)["reason"].get<std::string>().find("model"), std::string::npos);
    auto chat = post_json("/api/v1/chat", {{"query", "hi"}}, admin_);
    EXPECT_EQ(chat.status, 503);
    EXPECT_EQ(json_of(chat)["error"]["code"], "no_model");
    // Waiting never fixes it: the message says what does.
    EXPECT_NE(json_of(chat)["error"]["message"].get<std::string>().find("--model-path"), std::string::npos) << chat.body;
    auto openai = post_json("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "hi"}}}}}, admin_);
    EXPECT_EQ(openai.status, 503);
    EXPECT_NE(json_of(openai)["error"]["message"].get<std::string>().find("MODEL_PATH"), std::string::npos) << openai.body;
}

TEST_F(Lifecycle, AStoreWithoutTokensIsAWarningOnLoopback) {
    start({"--data-dir", dir_ + "/fresh"});
    EXPECT_NE(server_->log().find("no access tokens in SQLite at " + dir_ + "/fresh"), std::string::npos) << server_->log();
}

TEST_F(Lifecycle, RefusesAPublicAddressWithoutTokens) {
    const std::string empty = dir_ + "/empty";
    auto [rc, out] = run_clawbot_command("serve --host 0.0.0.0 --port 0 --data-dir " + empty);
    EXPECT_NE(rc, 0);
    EXPECT_NE(out.find("token create"), std::string::npos) << out;
}

TEST_F(Lifecycle, ConfigErrorsNameTheProblem) {
    const std::string bad = dir_ + "/bad.env";
    std::ofstream(bad) << "PORT=18789\nMODLE_PATH=/x\n";
    auto [rc, out] = run_clawbot_command("serve --config " + bad);
    EXPECT_NE(rc, 0);
    EXPECT_NE(out.find("MODLE_PATH"), std::string::npos) << out;

    const std::string secret = dir_ + "/secret.env";
    std::ofstream(secret) << "API_KEY=sk-test\n";
    chmod(secret.c_str(), 0644);
    auto [rc2, out2] = run_clawbot_command("serve --config " + secret);
    EXPECT_NE(rc2, 0);
    EXPECT_NE(out2.find("chmod 600"), std::string::npos) << out2;
    EXPECT_EQ(out2.find("sk-test"), std::string::npos) << "the secret leaked into the error";
}

TEST_F(Lifecycle, InitWritesAPrivateConfigAndKeepsTokensOnRerun) {
    struct stat st {};
    ASSERT_EQ(stat(config_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto [rc, out] = run_clawbot_command("init --config " + config_);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_TRUE(first_token(out).empty()) << "a second init must not mint another admin token";
    start();
    EXPECT_EQ(call("GET", "/api/v1/conversations", "", admin_).status, 200);
}

}  // namespace
}  // namespace clawbot::test

namespace clawbot::test {
namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST_F(Lifecycle, LogsOneJsonLinePerRequestWithoutSecretsAndReopensOnSighup) {
    const std::string log = dir_ + "/clawbot.log";
    start({"--log-file", log});
    const std::string secret_query = "my secret question 8472";
    ASSERT_EQ(post_json("/api/v1/chat", {{"query", secret_query}, {"max_tokens", 3}}, admin_).status, 200);
    std::string text;
    for (int i = 0; i < 100 && text.find("\"/api/v1/chat\"") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        text = read_text(log);
    }
    bool found = false;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        const json entry = json::parse(line, nullptr, false);
        ASSERT_FALSE(entry.is_discarded()) << "not a JSON line: " << line;
        if (entry.value("route", "") != "/api/v1/chat") continue;
        found = true;
        EXPECT_EQ(entry["status"], 200);
        EXPECT_EQ(entry["method"], "POST");
        EXPECT_GT(entry["completion_tokens"].get<int>(), 0);
        EXPECT_EQ(entry["token_id"].get<std::string>().rfind("tok_", 0), 0u);
        EXPECT_TRUE(entry.contains("latency_ms"));
        EXPECT_TRUE(entry.contains("time"));
    }
    EXPECT_TRUE(found) << text;
    EXPECT_EQ(text.find(admin_), std::string::npos) << "the token leaked into the log";
    EXPECT_EQ(text.find(secret_query), std::string::npos) << "the prompt leaked into the log";

    // logrotate moves the file, then SIGHUP makes the server open a new one.
    ASSERT_EQ(std::rename(log.c_str(), (log + ".1").c_str()), 0);
    kill(server_->pid(), SIGHUP);
    for (int i = 0; i < 100 && !std::filesystem::exists(log); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(call("GET", "/healthz").status, 200);
    std::string fresh;
    for (int i = 0; i < 100 && fresh.find("/healthz") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        fresh = read_text(log);
    }
    EXPECT_NE(fresh.find("/healthz"), std::string::npos) << "nothing logged to the reopened file";
}

TEST_F(Lifecycle, OversizedBodiesAndHeadersAreRefused) {
    start();
    const std::string huge(1024 * 1024 + 10, 'x');
    auto r = call("POST", "/api/v1/chat", "{\"query\": \"" + huge + "\"}", admin_);
    EXPECT_EQ(r.status, 413);
    HttpCall big_header;
    big_header.path = "/healthz";
    big_header.headers.emplace_back("X-Filler", std::string(20 * 1024, 'y'));
    EXPECT_EQ(http_request(server_->port(), big_header).status, 431);
    EXPECT_EQ(call("GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace clawbot::test
