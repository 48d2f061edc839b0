// POST /api/v1/chat and the conversations API on the real server.
#include <thread>

#include "api_fixture.h"

namespace clawbot::test {
namespace {

using nlohmann::json;

class ChatApi : public ApiFixture {
protected:
    void SetUp() override {
        ApiFixture::SetUp();
        start();
    }
};

TEST_F(ChatApi, NewConversationThenFollowUpUsesHistory) {
    auto first = post_json("/api/v1/chat", {{"query", "Once upon a time"}, {"max_tokens", 12}, {"temperature", 0}}, admin_);
    ASSERT_EQ(first.status, 200) << first.body;
    const json a = json_of(first);
    ASSERT_TRUE(a["conversation_id"].is_string());
    EXPECT_TRUE(a["message_id"].is_string());
    EXPECT_TRUE(a["answer"].is_string());
    EXPECT_EQ(a["model"], "stories260K");
    EXPECT_GT(a["usage"]["prompt_tokens"].get<int>(), 0);
    EXPECT_GT(a["usage"]["completion_tokens"].get<int>(), 0);
    EXPECT_LE(a["usage"]["completion_tokens"].get<int>(), 12);

    auto second = post_json("/api/v1/chat", {{"query", "And then?"}, {"conversation_id", a["conversation_id"]}, {"max_tokens", 8}}, admin_);
    ASSERT_EQ(second.status, 200) << second.body;
    const json b = json_of(second);
    EXPECT_EQ(b["conversation_id"], a["conversation_id"]);
    // The history is part of the prompt: longer than the first turn's prompt plus its answer.
    EXPECT_GT(b["usage"]["prompt_tokens"].get<int>(), a["usage"]["prompt_tokens"].get<int>() + a["usage"]["completion_tokens"].get<int>() - 1);
    // ... and the KV of its history was reused, not recomputed.
    EXPECT_EQ(a["usage"]["cached_tokens"], 0);
    EXPECT_GE(b["usage"]["cached_tokens"].get<int>(), 16) << second.body;

    auto conv = call("GET", "/api/v1/conversations/" + a["conversation_id"].get<std::string>(), "", admin_);
    ASSERT_EQ(conv.status, 200) << conv.body;
    const json c = json_of(conv);
    ASSERT_EQ(c["messages"].size(), 4u);
    EXPECT_EQ(c["messages"][0]["role"], "user");
    EXPECT_EQ(c["messages"][0]["content"], "Once upon a time");
    EXPECT_EQ(c["messages"][1]["role"], "assistant");
    EXPECT_EQ(c["messages"][1]["content"], a["answer"]);
    EXPECT_EQ(c["messages"][3]["content"], b["answer"]);
}

TEST_F(ChatApi, AConversationCreatedFirstTakesItsFirstQuestion) {
    const std::string long_title(70, 'x');
    auto created = post_json("/api/v1/conversations", {{"title", long_title}, {"system", "Be brief."}}, admin_);
    ASSERT_EQ(created.status, 201) << created.body;
    const json c = json_of(created);
    ASSERT_TRUE(c["id"].is_string());
    EXPECT_EQ(c["title"], std::string(60, 'x') + "…");  // cut like a title taken from a first question

    auto first = post_json("/api/v1/chat", {{"query", "Once upon a time"}, {"conversation_id", c["id"]}, {"max_tokens", 8}}, admin_);
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(json_of(first)["conversation_id"], c["id"]);
    const json stored = json_of(call("GET", "/api/v1/conversations/" + c["id"].get<std::string>(), "", admin_));
    EXPECT_EQ(stored["system"], "Be brief.");
    ASSERT_EQ(stored["messages"].size(), 2u);
    EXPECT_EQ(stored["messages"][0]["content"], "Once upon a time");
    EXPECT_EQ(json_of(call("GET", "/api/v1/conversations", "", admin_))["conversations"].size(), 1u);

    // No body: a default title. Bad bodies change nothing; a token is needed.
    auto untitled = call("POST", "/api/v1/conversations", "", admin_);
    ASSERT_EQ(untitled.status, 201) << untitled.body;
    EXPECT_EQ(json_of(untitled)["title"], "New conversation");
    EXPECT_EQ(post_json("/api/v1/conversations", {{"title", 5}}, admin_).status, 400);
    EXPECT_EQ(call("POST", "/api/v1/conversations", "{not json", admin_).status, 400);
    EXPECT_EQ(call("POST", "/api/v1/conversations", "{}").status, 401);
    EXPECT_EQ(json_of(call("GET", "/api/v1/conversations", "", admin_))["conversations"].size(), 2u);
    // Another token cannot use it.
    EXPECT_EQ(post_json("/api/v1/chat", {{"query", "hi"}, {"conversation_id", c["id"]}}, other_).status, 404);
}

TEST_F(ChatApi, StreamSendsDeltasThenDoneAfterStoring) {
    auto r = post_json("/api/v1/chat", {{"query", "你好，讲一个故事"}, {"stream", true}, {"max_tokens", 16}}, admin_);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.header("Content-Type").value_or("").find("text/event-stream"), std::string::npos);
    const auto events = parse_sse(r.body);
    ASSERT_GE(events.size(), 2u) << r.body;
    std::string streamed;
    for (size_t i = 0; i + 1 < events.size(); ++i) {
        EXPECT_EQ(events[i].first, "delta");
        streamed += json::parse(events[i].second)["text"].get<std::string>();
    }
    EXPECT_EQ(events.back().first, "done");
    const json done = json::parse(events.back().second);
    EXPECT_EQ(done["answer"].get<std::string>(), streamed);
    // "done" is sent after the exchange is stored.
    auto conv = call("GET", "/api/v1/conversations/" + done["conversation_id"].get<std::string>(), "", admin_);
    ASSERT_EQ(conv.status, 200);
    EXPECT_EQ(json_of(conv)["messages"][0]["content"], "你好，讲一个故事");
    EXPECT_EQ(json_of(conv)["messages"][1]["content"], streamed);
}

TEST_F(ChatApi, ConversationsBelongToTheirToken) {
    auto r = post_json("/api/v1/chat", {{"query", "Hello"}, {"max_tokens", 4}}, admin_);
    ASSERT_EQ(r.status, 200);
    const std::string id = json_of(r)["conversation_id"];
    EXPECT_EQ(call("GET", "/api/v1/conversations/" + id, "", other_).status, 404);
    EXPECT_EQ(call("DELETE", "/api/v1/conversations/" + id, "", other_).status, 404);
    EXPECT_EQ(post_json("/api/v1/chat", {{"query", "hi"}, {"conversation_id", id}}, other_).status, 404);
    EXPECT_EQ(json_of(call("GET", "/api/v1/conversations", "", other_))["conversations"].size(), 0u);
    // The owner still sees it, then deletes it.
    EXPECT_EQ(json_of(call("GET", "/api/v1/conversations", "", admin_))["conversations"].size(), 1u);
    EXPECT_EQ(call("DELETE", "/api/v1/conversations/" + id, "", admin_).status, 204);
    EXPECT_EQ(call("GET", "/api/v1/conversations/" + id, "", admin_).status, 404);
}

TEST_F(ChatApi, ConversationListIsPagedNewestFirst) {
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        auto r = post_json("/api/v1/chat", {{"query", "story " + std::to_string(i)}, {"max_tokens", 2}}, admin_);
        ASSERT_EQ(r.status, 200);
        ids.push_back(json_of(r)["conversation_id"]);
    }
    std::vector<std::string> seen;
    std::string path = "/api/v1/conversations?limit=2";
    for (int page = 0; page < 5; ++page) {
        const json body = json_of(call("GET", path, "", admin_));
        for (const auto& c : body["conversations"]) seen.push_back(c["id"]);
        if (body["next_cursor"].is_null()) break;
        path = "/api/v1/conversations?limit=2&cursor=" + body["next_cursor"].get<std::string>();
    }
    std::reverse(ids.begin(), ids.end());
    EXPECT_EQ(seen, ids);
}

TEST_F(ChatApi, BadInputGetsA400AndChangesNothing) {
    struct Case {
        std::string body;
        std::string code;
    };
    const std::vector<Case> cases = {
        {"{not json", "invalid_json"},
        {"[1,2]", "invalid_json"},
        {R"({"query": 5})", "invalid_request"},
        {R"({"query": ""})", "invalid_request"},
        {R"({"query": "hi", "temperature": -1})", "invalid_request"},
        {R"({"query": "hi", "max_tokens": 0})", "invalid_request"},
        {R"({"query": "hi", "max_tokens": 100000})", "invalid_request"},
        {R"({"query": "hi", "stream": "yes"})", "invalid_request"},
        {"{\"query\": \"\xff\xfe\"}", "invalid_json"},
    };
    for (const Case& c : cases) {
        auto r = call("POST", "/api/v1/chat", c.body, admin_);
        EXPECT_EQ(r.status, 400) << c.body;
        EXPECT_EQ(json_of(r)["error"]["code"], c.code) << c.body << " -> " << r.body;
    }
    const std::string long_query(4000, 'a');  // far beyond 256 tokens of context
    auto r = post_json("/api/v1/chat", {{"query", long_query + " b c d e f g h i j k l m n o p q r s t u v w x y z"}}, admin_);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(json_of(r)["error"]["code"], "context_length_exceeded") << r.body;
    EXPECT_EQ(json_of(call("GET", "/api/v1/conversations", "", admin_))["conversations"].size(), 0u);
    EXPECT_EQ(call("GET", "/healthz").status, 200);  // still up
}

TEST_F(ChatApi, AuthIsRequiredAndARevocationAppliesWithinSeconds) {
    for (const char* path : {"/api/v1/conversations", "/v1/models"}) {
        auto r = call("GET", path);
        EXPECT_EQ(r.status, 401) << path;
        EXPECT_EQ(r.header("WWW-Authenticate").value_or(""), "Bearer");
    }
    EXPECT_EQ(call("POST", "/api/v1/chat", R"({"query":"hi"})").status, 401);
    EXPECT_EQ(call("GET", "/api/v1/conversations?token=" + admin_).status, 401);  // never from the URL
    EXPECT_EQ(call("GET", "/api/v1/conversations", "", "cb_wrongwrongwrongwrongwrongwrong").status, 401);
    EXPECT_EQ(call("GET", "/metrics").status, 401);
    EXPECT_EQ(call("GET", "/metrics", "", admin_).status, 200);
    EXPECT_EQ(call("GET", "/healthz").status, 200);

    EXPECT_EQ(call("GET", "/api/v1/conversations", "", other_).status, 200);
    auto [rc, out] = run_clawbot_command("token list --config " + config_);
    ASSERT_EQ(rc, 0) << out;
    const std::string other_id = token_id_named(out, "other");
    ASSERT_FALSE(other_id.empty()) << out;
    auto [rc2, out2] = run_clawbot_command("token revoke " + other_id + " --config " + config_);
    ASSERT_EQ(rc2, 0) << out2;
    EXPECT_EQ(poll_status(401, std::chrono::seconds(3), [&] { return call("GET", "/api/v1/conversations", "", other_).status; }), 401);
    EXPECT_EQ(call("POST", "/api/v1/chat", R"({"query":"hi"})", other_).status, 401);
    EXPECT_EQ(call("GET", "/api/v1/conversations", "", admin_).status, 200);
}

TEST_F(ChatApi, OperationsEndpoints) {
    EXPECT_EQ(json_of(call("GET", "/healthz"))["status"], "ok");
    auto ready = call("GET", "/readyz");
    EXPECT_EQ(ready.status, 200) << ready.body;
    ASSERT_EQ(post_json("/api/v1/chat", {{"query", "Hello"}, {"max_tokens", 3}, {"temperature", 0}}, admin_).status, 200);
    // A request is counted when its scope ends, just after its last byte.
    const std::string chat_counted = "clawbot_http_requests_total{route=\"/api/v1/chat\",method=\"POST\",status=\"200\"} 1";
    HttpResult metrics;
    for (int i = 0; i < 100; ++i) {
        metrics = call("GET", "/metrics", "", admin_);
        if (metrics.body.find(chat_counted) != std::string::npos) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(metrics.status, 200);
    const std::vector<std::string> expected = {
        chat_counted, "clawbot_http_request_duration_seconds_bucket", "clawbot_time_to_first_token_seconds_count",
        "clawbot_tokens_total{kind=\"completion\"}", "clawbot_open_connections", "clawbot_requests_running",
        "clawbot_requests_queued", "clawbot_kv_blocks_used", "clawbot_kv_blocks_cached", "clawbot_kv_blocks_free",
        "clawbot_prefix_cache_hit_tokens_total", "clawbot_batch_size_bucket", "clawbot_batch_tokens_bucket",
        "clawbot_queue_wait_seconds_count 1", "clawbot_inter_token_seconds_count 2", "clawbot_queue_capacity 64",
        "clawbot_cpu_cores", "clawbot_memory_total_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"};
    for (const std::string& name : expected) {
        EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
    }
}

TEST_F(ChatApi, TheChatPageIsServedWithAStrictPolicy) {
    auto page = call("GET", "/");
    ASSERT_EQ(page.status, 200);
    EXPECT_NE(page.header("Content-Type").value_or("").find("text/html"), std::string::npos);
    const std::string csp = page.header("Content-Security-Policy").value_or("");
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
    EXPECT_EQ(page.body.find("http://"), std::string::npos) << "no external resource";
    EXPECT_EQ(page.body.find("https://"), std::string::npos) << "no external resource";
}

}  // namespace
}  // namespace clawbot::test
