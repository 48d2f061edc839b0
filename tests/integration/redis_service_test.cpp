// The real binary on a real Redis (STORE=redis://..., with a password):
// `init` and `token` commands write to Redis, `serve` chats and keeps the
// history there; Redis killed → 503 within 2 s and /readyz 503; Redis back
// → the same server answers again, with every acknowledged message.
#include <chrono>
#include <fstream>
#include <thread>

#include <sys/stat.h>

#include "api_fixture.h"
#include "support/redis_server.h"

namespace clawbot::test {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr const char* kPassword = "Redis-Pa55word-7731";

class RedisService : public testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(redis_.running()) << redis_.error();
        dir_ = make_temp_dir();
        config_ = dir_ + "/config.env";
        auto [rc, out] = run_clawbot_command("init --config " + config_ + " --data-dir " + dir_ + "/data --store " +
                                             shell_quote(redis_.url()));
        ASSERT_EQ(rc, 0) << out;
        outputs_ += out;
        admin_ = first_token(out);
        ASSERT_FALSE(admin_.empty()) << out;
    }
    void TearDown() override {
        server_.reset();
        std::filesystem::remove_all(dir_);
    }

    void start() {
        server_ = std::make_unique<ServerProcess>(std::vector<std::string>{
            "--config", config_, "--model-path", shared_path("models/stories260K.gguf"), "--ctx-size", "256"});
        ASSERT_TRUE(server_->started()) << server_->log();
    }

    HttpResult call(const std::string& method, const std::string& path, const std::string& body = "",
                    std::optional<std::string> token = std::nullopt) {
        HttpCall c;
        c.method = method;
        c.path = path;
        c.body = body;
        c.bearer = std::move(token);
        if (!body.empty()) c.headers.emplace_back("Content-Type", "application/json");
        return http_request(server_->port(), c, std::chrono::seconds(30));
    }
    HttpResult chat(const std::string& query, const std::optional<std::string>& conversation = std::nullopt) {
        json body = {{"query", query}, {"max_tokens", 6}, {"temperature", 0}};
        if (conversation) body["conversation_id"] = *conversation;
        return call("POST", "/api/v1/chat", body.dump(), admin_);
    }
    // status of the call and how long it took
    std::pair<int, long> timed(const std::function<HttpResult()>& request) {
        const Clock::time_point start = Clock::now();
        const int status = request().status;
        return {status, static_cast<long>(std::chrono::duration_cast<milliseconds>(Clock::now() - start).count())};
    }

    RedisServer redis_{RedisServerOptions{.aof_always = true, .password = kPassword}};
    std::string dir_, config_, admin_, outputs_;
    std::unique_ptr<ServerProcess> server_;
};

TEST_F(RedisService, ChatsThroughRedisFailFastWhileItIsDownAndRecoverWithoutARestart) {
    // The token commands reach Redis by the flag alone, with no config file value.
    const std::string bare_config = dir_ + "/bare.env";
    std::ofstream(bare_config) << "# nothing\n";
    ::chmod(bare_config.c_str(), 0600);
    const std::string store_flag = " --config " + bare_config + " --data-dir " + dir_ + "/unused --store " +
                                   shell_quote(redis_.url());
    auto [rc, out] = run_clawbot_command("token create --name other" + store_flag);
    ASSERT_EQ(rc, 0) << out;
    outputs_ += out;
    const std::string other = first_token(out);
    auto [list_rc, listing] = run_clawbot_command("token list" + store_flag);
    ASSERT_EQ(list_rc, 0) << listing;
    outputs_ += listing;
    EXPECT_NE(token_id_named(listing, "admin"), "") << listing;  // made by init, through the config file
    const std::string other_id = token_id_named(listing, "other");
    ASSERT_NE(other_id, "") << listing;

    start();
    EXPECT_EQ(call("GET", "/readyz").status, 200);
    auto first = chat("Once upon a time");
    ASSERT_EQ(first.status, 200) << first.body;
    const std::string conversation = json::parse(first.body)["conversation_id"];
    ASSERT_EQ(chat("And then?", conversation).status, 200);
    auto history = call("GET", "/api/v1/conversations/" + conversation, "", admin_);
    ASSERT_EQ(history.status, 200) << history.body;
    ASSERT_EQ(json::parse(history.body)["messages"].size(), 4u);
    EXPECT_EQ(call("GET", "/api/v1/conversations", "", other).status, 200);

    // It all lives in Redis: nothing fell back to a local SQLite file.
    EXPECT_NE(redis_.command({"KEYS", "clawbot:msgs:*"}).find(conversation), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/data/clawbot.db"));
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/unused"));

    redis_.kill();
    const auto [chat_status, chat_ms] = timed([&] { return chat("Are you there?", conversation); });
    EXPECT_EQ(chat_status, 503);
    EXPECT_LT(chat_ms, 2000);
    const auto [ready_status, ready_ms] = timed([&] { return call("GET", "/readyz"); });
    EXPECT_EQ(ready_status, 503);
    EXPECT_LT(ready_ms, 2000);
    auto down = chat("Still nothing?");
    EXPECT_EQ(down.status, 503);
    EXPECT_EQ(json::parse(down.body)["error"]["code"], "store_unavailable") << down.body;
    EXPECT_EQ(call("GET", "/api/v1/conversations/" + conversation, "", admin_).status, 503);

    ASSERT_TRUE(redis_.restart()) << redis_.error();  // same port and AOF directory
    bool ready = false;
    for (int i = 0; i < 100 && !ready; ++i) {
        ready = call("GET", "/readyz").status == 200;
        if (!ready) std::this_thread::sleep_for(milliseconds(50));
    }
    ASSERT_TRUE(ready) << "clawbot did not reconnect to Redis";
    auto again = chat("Welcome back", conversation);
    ASSERT_EQ(again.status, 200) << again.body;
    auto after = call("GET", "/api/v1/conversations/" + conversation, "", admin_);
    ASSERT_EQ(after.status, 200) << after.body;
    const json messages = json::parse(after.body)["messages"];
    ASSERT_EQ(messages.size(), 6u) << after.body;  // both acknowledged turns, nothing from the outage, the new one
    EXPECT_EQ(messages[0]["content"], "Once upon a time");
    EXPECT_EQ(messages[4]["content"], "Welcome back");

    // A token revoked through Redis by another process is refused by the
    // server on its next token reload (every second).
    auto [revoke_rc, revoke_out] = run_clawbot_command("token revoke " + other_id + store_flag);
    ASSERT_EQ(revoke_rc, 0) << revoke_out;
    outputs_ += revoke_out;
    EXPECT_EQ(poll_status(401, std::chrono::seconds(3), [&] { return call("GET", "/api/v1/conversations", "", other).status; }), 401);

    // The password never reaches the server's log or any command's output.
    const std::string log = server_->log();
    EXPECT_NE(log.find("redis://***@127.0.0.1:" + std::to_string(redis_.port()) + "/0"), std::string::npos) << log;
    EXPECT_EQ(log.find(kPassword), std::string::npos) << log;
    EXPECT_EQ(outputs_.find(kPassword), std::string::npos) << outputs_;
}

TEST_F(RedisService, AnUnreachableRedisIsAnErrorNamingItWithoutThePassword) {
    const int port = redis_.port();
    redis_.kill();
    auto [rc, out] = run_clawbot_command("token create --name x --data-dir " + dir_ + "/unused --config " + config_ +
                                         " --store " + shell_quote(redis_.url()));
    EXPECT_NE(rc, 0);
    EXPECT_NE(out.find("redis://***@127.0.0.1:" + std::to_string(port)), std::string::npos) << out;
    EXPECT_EQ(out.find(kPassword), std::string::npos) << out;
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/unused"));

    ServerProcess server({"--config", config_, "--model-path", shared_path("models/stories260K.gguf")});
    EXPECT_FALSE(server.started());
    EXPECT_NE(server.log().find("cannot connect"), std::string::npos) << server.log();
    EXPECT_EQ(server.log().find(kPassword), std::string::npos) << server.log();
}

}  // namespace
}  // namespace clawbot::test
