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

}  // namespace
}  // namespace clawbot::test
