// /v1/chat/completions and /v1/models in the exact shapes OpenAI clients
// parse (the official npm client is exercised by tests/node too).
#include "api_fixture.h"

namespace clawbot::test {
namespace {

using nlohmann::json;

class OpenAiApi : public ApiFixture {
protected:
    void SetUp() override {
        ApiFixture::SetUp();
        start();
    }
    json request(bool stream) {
        return {{"model", "stories260K"},
                {"messages", json::array({{{"role", "system"}, {"content", "You tell stories."}},
                                          {{"role", "user"}, {"content", "Once upon a time"}}})},
                {"max_tokens", 10},
                {"temperature", 0},
                {"stream", stream}};
    }
};

TEST_F(OpenAiApi, NonStreamingCompletion) {
    auto r = post_json("/v1/chat/completions", request(false), admin_);
    ASSERT_EQ(r.status, 200) << r.body;
    const json b = json_of(r);
    EXPECT_EQ(b["object"], "chat.completion");
    EXPECT_EQ(b["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
    EXPECT_EQ(b["choices"][0]["message"]["role"], "assistant");
    EXPECT_TRUE(b["choices"][0]["message"]["content"].is_string());
    EXPECT_TRUE(b["choices"][0]["finish_reason"] == "stop" || b["choices"][0]["finish_reason"] == "length");
    EXPECT_EQ(b["usage"]["total_tokens"].get<int>(), b["usage"]["prompt_tokens"].get<int>() + b["usage"]["completion_tokens"].get<int>());
    // Stateless: nothing was stored as a conversation.
    EXPECT_EQ(json_of(call("GET", "/api/v1/conversations", "", admin_))["conversations"].size(), 0u);
}

TEST_F(OpenAiApi, StreamingChunksEndWithUsageAndDone) {
    json req = request(true);
    req["stream_options"] = {{"include_usage", true}};
    auto r = post_json("/v1/chat/completions", req, admin_);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto events = parse_sse(r.body);
    ASSERT_GE(events.size(), 4u);
    EXPECT_EQ(events.back().second, "[DONE]");
    const json first = json::parse(events.front().second);
    EXPECT_EQ(first["object"], "chat.completion.chunk");
    EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
    const json usage = json::parse(events[events.size() - 2].second);
    EXPECT_TRUE(usage["choices"].empty());
    EXPECT_GT(usage["usage"]["completion_tokens"].get<int>(), 0);
    const json last_choice = json::parse(events[events.size() - 3].second);
    EXPECT_FALSE(last_choice["choices"][0]["finish_reason"].is_null());
    std::string streamed;
    for (size_t i = 1; i + 3 < events.size(); ++i) streamed += json::parse(events[i].second)["choices"][0]["delta"]["content"].get<std::string>();
    // The same request without streaming gives the same text (greedy).
    auto plain = post_json("/v1/chat/completions", request(false), admin_);
    EXPECT_EQ(json_of(plain)["choices"][0]["message"]["content"].get<std::string>(), streamed);
}

TEST_F(OpenAiApi, StopStringsCutTheAnswer) {
    auto full = json_of(post_json("/v1/chat/completions", request(false), admin_))["choices"][0]["message"]["content"].get<std::string>();
    ASSERT_GE(full.size(), 6u);
    const std::string stop = full.substr(3, 3);
    json req = request(false);
    req["stop"] = stop;
    auto cut = json_of(post_json("/v1/chat/completions", req, admin_));
    EXPECT_EQ(cut["choices"][0]["message"]["content"].get<std::string>(), full.substr(0, full.find(stop)));
    EXPECT_EQ(cut["choices"][0]["finish_reason"], "stop");
}

TEST_F(OpenAiApi, RefusesWhatItCannotDo) {
    json req = request(false);
    req["n"] = 2;
    auto r = post_json("/v1/chat/completions", req, admin_);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(json_of(r)["error"]["code"], "invalid_request");
    req = request(false);
    req["messages"] = json::array();
    EXPECT_EQ(post_json("/v1/chat/completions", req, admin_).status, 400);
    req = request(false);
    req["messages"][1]["role"] = "wizard";
    EXPECT_EQ(post_json("/v1/chat/completions", req, admin_).status, 400);
}

TEST_F(OpenAiApi, ModelsListsTheLoadedModel) {
    auto r = call("GET", "/v1/models", "", admin_);
    ASSERT_EQ(r.status, 200);
    const json b = json_of(r);
    EXPECT_EQ(b["object"], "list");
    ASSERT_EQ(b["data"].size(), 1u);
    EXPECT_EQ(b["data"][0]["id"], "stories260K");
    EXPECT_EQ(b["data"][0]["object"], "model");
}

TEST_F(OpenAiApi, AModelNamedThatIsNotServedIsA404UnlessAliased) {
    json req = request(false);
    req["model"] = "gpt-4o";
    auto r = post_json("/v1/chat/completions", req, admin_);
    ASSERT_EQ(r.status, 404) << r.body;
    const json error = json_of(r)["error"];
    EXPECT_EQ(error["code"], "model_not_found");
    EXPECT_EQ(error["type"], "not_found_error");
    EXPECT_EQ(error["param"], "model");
    EXPECT_NE(error["message"].get<std::string>().find("stories260K"), std::string::npos) << "the error should name the model served";
    req.erase("model");
    EXPECT_EQ(post_json("/v1/chat/completions", req, admin_).status, 200) << "no model means the loaded one";
    req["model"] = 7;
    EXPECT_EQ(post_json("/v1/chat/completions", req, admin_).status, 400);

    EXPECT_EQ(call("GET", "/v1/models/stories260K", "", admin_).status, 200);
    auto missing = call("GET", "/v1/models/gpt-4o", "", admin_);
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(json_of(missing)["error"]["code"], "model_not_found");
    EXPECT_EQ(call("GET", "/v1/models/gpt-4o", "").status, 401) << "model routes need a token too";
}

TEST_F(OpenAiApi, ModelAliasesNameOtherModelsTheLoadedOneAnswersFor) {
    start({"--model-aliases", "gpt-4o, my-bot"});
    json req = request(false);
    req["model"] = "my-bot";
    EXPECT_EQ(post_json("/v1/chat/completions", req, admin_).status, 200);
    req["model"] = "claude";
    EXPECT_EQ(post_json("/v1/chat/completions", req, admin_).status, 404);
    const json listed = json_of(call("GET", "/v1/models", "", admin_));
    ASSERT_EQ(listed["data"].size(), 3u);
    EXPECT_EQ(listed["data"][0]["id"], "stories260K");
    EXPECT_EQ(listed["data"][1]["id"], "gpt-4o");
    auto one = call("GET", "/v1/models/gpt-4o", "", admin_);
    ASSERT_EQ(one.status, 200) << one.body;
    EXPECT_EQ(json_of(one)["id"], "gpt-4o");

    start({"--model-aliases", "*"});
    req["model"] = "anything-at-all";
    EXPECT_EQ(post_json("/v1/chat/completions", req, admin_).status, 200);
}

TEST_F(OpenAiApi, TheNativeChatTakesTheSameFormatAndStoresWhatFollowsIt) {
    const json schema{{"type", "object"},
                      {"properties", {{"color", {{"enum", {"red", "green", "blue"}}}}, {"size", {{"type", "integer"}, {"minimum", 1}, {"maximum", 9}}}}},
                      {"required", {"color", "size"}},
                      {"additionalProperties", false}};
    for (int seed : {1, 2, 3}) {
        const json body{{"query", "Pick a ball."}, {"seed", seed}, {"temperature", 1.0}, {"max_tokens", 120},
                        {"format", {{"type", "json_schema"}, {"json_schema", {{"name", "ball"}, {"schema", schema}}}}}};
        auto r = post_json("/api/v1/chat", body, admin_);
        ASSERT_EQ(r.status, 200) << r.body;
        const json answer = json_of(r);
        EXPECT_EQ(answer["finish_reason"], "stop") << answer.dump();
        const json ball = json::parse(answer["answer"].get<std::string>(), nullptr, false);
        ASSERT_TRUE(ball.is_object()) << answer["answer"];
        EXPECT_TRUE(ball["color"] == "red" || ball["color"] == "green" || ball["color"] == "blue") << ball.dump();
        EXPECT_TRUE(ball["size"].is_number_integer() && ball["size"] >= 1 && ball["size"] <= 9) << ball.dump();
        const json history = json_of(call("GET", "/api/v1/conversations/" + answer["conversation_id"].get<std::string>(), "", admin_));
        EXPECT_EQ(history["messages"][1]["content"], answer["answer"]);
    }
    auto bad = post_json("/api/v1/chat", {{"query", "x"}, {"format", {{"type", "yaml"}}}}, admin_);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(json_of(bad)["error"]["param"], "format");
}

}  // namespace
}  // namespace clawbot::test
