// Cloud mode's pure parts: UPSTREAM_URL parsing and the OpenAI wire format
// (request body, streamed chunks, error bodies), including the odd replies
// real upstreams send.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "service/provider/upstream_endpoint.h"
#include "service/provider/upstream_protocol.h"

namespace clawbot::service {
namespace {

using nlohmann::json;

TEST(UpstreamUrl, TakesApartSchemeHostPortAndPath) {
    auto e = parse_upstream_url("https://api.openai.com/v1/");
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_TRUE(e->tls);
    EXPECT_EQ(e->host, "api.openai.com");
    EXPECT_EQ(e->port, "443");
    EXPECT_EQ(e->host_header, "api.openai.com");
    EXPECT_EQ(e->target("/chat/completions"), "/v1/chat/completions");
    EXPECT_EQ(e->display(), "https://api.openai.com/v1");

    e = parse_upstream_url("http://127.0.0.1:8080");
    ASSERT_TRUE(e);
    EXPECT_FALSE(e->tls);
    EXPECT_EQ(e->port, "8080");
    EXPECT_EQ(e->host_header, "127.0.0.1:8080");
    EXPECT_EQ(e->target("/models"), "/models");

    e = parse_upstream_url("http://[::1]:9000/api/v1");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->host, "::1");
    EXPECT_EQ(e->port, "9000");
    EXPECT_EQ(e->host_header, "[::1]:9000");
    EXPECT_EQ(e->base_path, "/api/v1");
}

TEST(UpstreamUrl, RefusesWhatItCannotUseWithTheReason) {
    const std::pair<const char*, const char*> cases[] = {
        {"api.openai.com/v1", "http:// or https://"},
        {"ftp://example.com", "http:// or https://"},
        {"https://user:secret@example.com/v1", "credentials"},
        {"https:///v1", "no host"},
        {"https://example.com:0/v1", "port"},
        {"https://example.com:70000", "port"},
        {"https://example.com:12x", "port"},
        {"https://example.com/v1?key=1", "query"},
        {"https://[::1/v1", "'['"},
    };
    for (const auto& [url, why] : cases) {
        auto e = parse_upstream_url(url);
        ASSERT_FALSE(e) << url;
        EXPECT_NE(e.error().message.find(why), std::string::npos) << url << ": " << e.error().message;
    }
    // Credentials in a refused URL are masked in the message, which reaches logs.
    auto with_password = parse_upstream_url("https://user:hunter2@example.com/v1");
    ASSERT_FALSE(with_password);
    EXPECT_EQ(with_password.error().message.find("hunter2"), std::string::npos) << with_password.error().message;
    EXPECT_NE(with_password.error().message.find("https://***@example.com/v1"), std::string::npos);
}

TEST(UpstreamProtocol, RequestBodyAsksForAStreamWithUsage) {
    CompletionRequest r;
    r.messages = {{"system", "be brief"}, {"user", "hi"}};
    r.max_tokens = 12;
    r.temperature = 0.5f;
    r.top_p = 0.9f;
    r.seed = 7;
    r.stop = {"\n\n"};
    const json body = json::parse(upstream_request_body(r, "gpt-x"));
    EXPECT_EQ(body["model"], "gpt-x");
    EXPECT_EQ(body["stream"], true);
    EXPECT_EQ(body["stream_options"]["include_usage"], true);
    EXPECT_EQ(body["messages"].size(), 2u);
    EXPECT_EQ(body["messages"][1]["content"], "hi");
    EXPECT_EQ(body["max_tokens"], 12);
    EXPECT_EQ(body["seed"], 7);
    EXPECT_EQ(body["stop"][0], "\n\n");
    EXPECT_FLOAT_EQ(body["temperature"].get<float>(), 0.5f);

    CompletionRequest bare;
    bare.messages = {{"user", "x"}};
    const json minimal = json::parse(upstream_request_body(bare, "m"));
    EXPECT_FALSE(minimal.contains("max_tokens"));  // 0 means the upstream's default
    EXPECT_FALSE(minimal.contains("seed"));
    EXPECT_FALSE(minimal.contains("stop"));
}

TEST(UpstreamProtocol, ChunksGiveTextFinishAndUsage) {
    auto c = parse_upstream_chunk(R"({"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]})");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->content, "Hel");
    EXPECT_FALSE(c->finish_reason);

    c = parse_upstream_chunk(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":null}}]})");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->content, "");

    c = parse_upstream_chunk(R"({"choices":[{"index":0,"delta":{},"finish_reason":"length"}]})");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->finish_reason.value_or(""), "length");

    c = parse_upstream_chunk(
        R"({"choices":[],"usage":{"prompt_tokens":11,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":3}}})");
    ASSERT_TRUE(c && c->usage);
    EXPECT_EQ(c->usage->prompt_tokens, 11);
    EXPECT_EQ(c->usage->completion_tokens, 5);
    EXPECT_EQ(c->usage->cached_tokens, 3);

    c = parse_upstream_chunk(R"({"error":{"message":"overloaded","type":"server_error"}})");
    ASSERT_TRUE(c && c->error);
    EXPECT_EQ(*c->error, "overloaded");
}

TEST(UpstreamProtocol, TheClientsOwnFieldsAndMessagesGoAsGivenExceptModelAndStream) {
    CompletionRequest r;
    r.messages = {{"user", "ignored: the raw messages win"}};
    r.temperature = 0.3f;  // a typed field: not sent when the client's own fields are
    r.upstream_fields = R"({"tools":[{"type":"function","function":{"name":"f","parameters":{}}}],"tool_choice":"required",)"
                        R"("response_format":{"type":"json_object"},"max_completion_tokens":7,"logprobs":true,"top_logprobs":2,)"
                        R"("stream_options":{"include_usage":false},"user":"u1","reasoning_effort":"low"})";
    r.upstream_messages = R"([{"role":"user","content":"hi"},{"role":"assistant","content":null,)"
                          R"("tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},)"
                          R"({"role":"tool","tool_call_id":"c1","content":"42"}])";
    const json body = json::parse(upstream_request_body(r, "gpt-x"));
    EXPECT_EQ(body["model"], "gpt-x");
    EXPECT_EQ(body["stream"], true);
    EXPECT_EQ(body["stream_options"]["include_usage"], true);
    EXPECT_EQ(body["messages"], json::parse(r.upstream_messages));
    const json fields = json::parse(r.upstream_fields);
    for (const char* key : {"tools", "tool_choice", "response_format", "max_completion_tokens", "logprobs", "top_logprobs", "user",
                            "reasoning_effort"}) {
        EXPECT_EQ(body[key], fields[key]) << key;
    }
    EXPECT_FALSE(body.contains("temperature"));
    EXPECT_FALSE(body.contains("max_tokens")) << "max_completion_tokens was rewritten";
}

TEST(UpstreamProtocol, ChunksGiveToolCallsReasoningAndLogprobs) {
    auto c = parse_upstream_chunk(
        R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function",)"
        R"("function":{"name":"get_weather","arguments":"{\"ci"}}]},"logprobs":{"content":[{"token":"a","logprob":-0.5,)"
        R"("bytes":[97],"top_logprobs":[{"token":"a","logprob":-0.5},{"token":"b","logprob":-1.25}]}]},"finish_reason":null}]})");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->content, "");
    const json calls = json::parse(c->tool_calls);
    EXPECT_EQ(calls[0]["id"], "call_1");
    EXPECT_EQ(calls[0]["function"]["arguments"], "{\"ci");
    ASSERT_EQ(c->logprobs.size(), 1u);
    EXPECT_EQ(c->logprobs[0].token, "a");
    EXPECT_FLOAT_EQ(c->logprobs[0].logprob, -0.5f);
    ASSERT_EQ(c->logprobs[0].top.size(), 2u);
    EXPECT_EQ(c->logprobs[0].top[1].token, "b");
    EXPECT_FLOAT_EQ(c->logprobs[0].top[1].logprob, -1.25f);

    c = parse_upstream_chunk(R"({"choices":[{"index":0,"delta":{"reasoning_content":"Let me think"},"finish_reason":null}]})");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->reasoning, "Let me think");
    c = parse_upstream_chunk(R"({"choices":[{"index":0,"delta":{"reasoning":"or so"},"finish_reason":null}]})");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->reasoning, "or so");

    // A whole message's calls get the index a streamed delta would carry.
    auto whole = parse_upstream_completion(
        R"({"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[)"
        R"({"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},)"
        R"({"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]},"finish_reason":"tool_calls"}]})");
    ASSERT_TRUE(whole);
    const json indexed = json::parse(whole->tool_calls);
    EXPECT_EQ(indexed[1]["index"], 1);
    EXPECT_EQ(indexed[1]["function"]["name"], "g");
    EXPECT_EQ(finish_kind_of(*whole->finish_reason), FinishKind::ToolCalls);
    EXPECT_EQ(finish_kind_of("content_filter"), FinishKind::ContentFilter);
    EXPECT_EQ(finish_kind_of("length"), FinishKind::Length);
    EXPECT_EQ(finish_kind_of("whatever"), FinishKind::Stop);
}

TEST(UpstreamProtocol, ABarePromptIsACompletionsRequestAndItsTextAndLegacyLogprobsAreRead) {
    CompletionRequest r;
    r.raw_prompt = "Once upon";
    r.upstream_fields = R"({"max_tokens":5,"logprobs":2})";
    const json body = json::parse(upstream_request_body(r, "m"));
    EXPECT_EQ(body["prompt"], "Once upon");
    EXPECT_FALSE(body.contains("messages"));
    EXPECT_EQ(body["logprobs"], 2);

    auto c = parse_upstream_chunk(R"({"object":"text_completion","choices":[{"index":0,"text":" a time","finish_reason":null,)"
                                  R"("logprobs":{"tokens":[" a"," time"],"token_logprobs":[-0.5,-0.25],)"
                                  R"("top_logprobs":[{" the":-2.0," a":-0.5},{" time":-0.25}],"text_offset":[0,2]}}]})");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->content, " a time");
    ASSERT_EQ(c->logprobs.size(), 2u);
    EXPECT_EQ(c->logprobs[1].token, " time");
    EXPECT_FLOAT_EQ(c->logprobs[1].logprob, -0.25f);
    ASSERT_EQ(c->logprobs[0].top.size(), 2u);
    EXPECT_EQ(c->logprobs[0].top[0].token, " a") << "alternatives best first";
}

TEST(UpstreamProtocol, OddChunksNeverThrow) {
    for (const char* payload : {"", "not json", "[]", "42", R"({"choices":"x"})", R"({"choices":[1]})",
                                R"({"choices":[{"delta":"x"}]})", R"({"choices":[{"delta":{"content":5}}]})",
                                R"({"usage":{"prompt_tokens":-4,"completion_tokens":1e30}})", R"({"error":null})"}) {
        auto c = parse_upstream_chunk(payload);
        if (c) {
            EXPECT_EQ(c->content, "") << payload;
            if (c->usage) {
                EXPECT_GE(c->usage->prompt_tokens, 0) << payload;
                EXPECT_GE(c->usage->completion_tokens, 0) << payload;
            }
            EXPECT_FALSE(c->error) << payload;
        }
    }
}

TEST(UpstreamProtocol, AWholeCompletionForUpstreamsThatDoNotStream) {
    auto w = parse_upstream_completion(
        R"({"choices":[{"message":{"role":"assistant","content":"All of it"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":3}})");
    ASSERT_TRUE(w);
    EXPECT_EQ(w->content, "All of it");
    EXPECT_EQ(w->finish_reason.value_or(""), "stop");
    EXPECT_EQ(w->usage->completion_tokens, 3);
    EXPECT_FALSE(parse_upstream_completion("{}"));
    EXPECT_FALSE(parse_upstream_completion("<html>"));
}

TEST(UpstreamProtocol, ErrorTextIsOneShortLineWithoutTheKey) {
    const std::string key = "sk-abc123";
    EXPECT_EQ(upstream_error_text(R"({"error":{"message":"Bad key sk-abc123\nretry","code":"x"}})", key),
              "Bad key [redacted] retry");
    EXPECT_EQ(upstream_error_text("<html>Bad Gateway</html>", key), "<html>Bad Gateway</html>");
    const std::string long_body(5000, 'x');
    EXPECT_LE(upstream_error_text(long_body, key).size(), 310u);
    // The key right at the cut: redacted before cutting, so no piece survives.
    const std::string at_cut = std::string(296, 'y') + key;
    EXPECT_EQ(upstream_error_text(at_cut, key).find("sk-"), std::string::npos);
    EXPECT_EQ(upstream_error_code(R"({"error":{"code":"context_length_exceeded"}})"), "context_length_exceeded");
    EXPECT_EQ(upstream_error_code(R"({"error":"x"})"), "");
    EXPECT_EQ(redact("a sk-abc123 b sk-abc123", key), "a [redacted] b [redacted]");
    EXPECT_EQ(redact("nothing", ""), "nothing");
}

TEST(UpstreamProtocol, RetryAfterInSecondsOnly) {
    EXPECT_EQ(parse_retry_after("3"), 3);
    EXPECT_EQ(parse_retry_after(" 0 "), 0);
    EXPECT_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
    EXPECT_FALSE(parse_retry_after("-1"));
    EXPECT_FALSE(parse_retry_after(""));
}

TEST(UpstreamProtocol, RefusalsMapToTheClientsStatusAndOnlySomeAreRetried) {
    const StartError limited = upstream_refusal_error(429, R"({"error":{"message":"slow down"}})", "sk-x", 7);
    EXPECT_EQ(limited.code, StartErrorCode::Overloaded);
    EXPECT_EQ(limited.retry_after_s, 7);
    EXPECT_NE(limited.message.find("slow down"), std::string::npos);
    EXPECT_EQ(upstream_refusal_error(429, "", "k", std::nullopt).retry_after_s, 1);
    EXPECT_EQ(upstream_refusal_error(503, "", "k", std::nullopt).code, StartErrorCode::UpstreamFailed);
    EXPECT_EQ(upstream_refusal_error(400, R"({"error":{"message":"bad"}})", "k", std::nullopt).code, StartErrorCode::InvalidRequest);
    EXPECT_EQ(upstream_refusal_error(400, R"({"error":{"code":"context_length_exceeded"}})", "k", std::nullopt).code,
              StartErrorCode::ContextLengthExceeded);
    // A refused key's body may quote the key: never passed on.
    const StartError key = upstream_refusal_error(401, R"({"error":{"message":"key sk-secret is wrong"}})", "sk-secret", std::nullopt);
    EXPECT_EQ(key.message.find("sk-secret"), std::string::npos);
    EXPECT_NE(key.message.find("API_KEY"), std::string::npos);
    EXPECT_NE(upstream_refusal_error(404, "", "k", std::nullopt).message.find("UPSTREAM_MODEL"), std::string::npos);
    EXPECT_TRUE(upstream_refusal_retryable(429));
    EXPECT_TRUE(upstream_refusal_retryable(502));
    EXPECT_FALSE(upstream_refusal_retryable(400));
    EXPECT_FALSE(upstream_refusal_retryable(401));
}

TEST(UpstreamProtocol, EmbeddingsGoAsFloatsAndComeBackInTheInputsOrder) {
    const json body = json::parse(upstream_embeddings_body({"a", "b"}, "text-embed"));
    EXPECT_EQ(body, json({{"model", "text-embed"}, {"input", {"a", "b"}}, {"encoding_format", "float"}}));
    // Placed by index, whatever order they arrive in.
    auto e = parse_upstream_embeddings(
        R"({"object":"list","data":[{"index":1,"embedding":[0.5,-1]},{"index":0,"embedding":[1,2e-3]}],"usage":{"prompt_tokens":4}})", 2);
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(e->vectors[0], (std::vector<float>{1.0f, 0.002f}));
    EXPECT_EQ(e->vectors[1], (std::vector<float>{0.5f, -1.0f}));
    EXPECT_EQ(e->prompt_tokens, 4);
    const char* broken[] = {
        "",
        "[]",
        R"({"data":{}})",
        R"({"data":[{"index":0,"embedding":[1]}]})",                                   // one for two inputs
        R"({"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[2]}]})",       // an index twice
        R"({"data":[{"index":0,"embedding":[1]},{"index":5,"embedding":[2]}]})",       // out of range
        R"({"data":[{"index":0,"embedding":"AAAA"},{"index":1,"embedding":[2]}]})",    // base64, not asked for
        R"({"data":[{"index":0,"embedding":[1,"x"]},{"index":1,"embedding":[2]}]})",
        R"({"data":[{"index":0,"embedding":[]},{"index":1,"embedding":[2]}]})",
    };
    for (const char* b : broken) EXPECT_FALSE(parse_upstream_embeddings(b, 2)) << b;
}

}  // namespace
}  // namespace clawbot::service
