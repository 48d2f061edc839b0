// Reading /v1/chat/completions bodies: every OpenAI field is implemented,
// forwarded (cloud mode) or refused with a 400 that names it; values out
// of their documented range are refused.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "service/api/openai_request.h"

namespace clawbot::service {
namespace {

using nlohmann::json;

constexpr OpenAiLimits kLocal{4096, false};
constexpr OpenAiLimits kCloud{1 << 20, true};

json with(json extra) {
    json body{{"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};
    for (auto& [k, v] : extra.items()) body[k] = v;
    return body;
}

OpenAiParams accepted(const json& body, const OpenAiLimits& limits = kLocal) {
    auto parsed = parse_openai_request(body, limits);
    if (auto* bad = std::get_if<BadRequest>(&parsed)) ADD_FAILURE() << body.dump() << ": " << bad->message;
    return std::holds_alternative<OpenAiParams>(parsed) ? std::get<OpenAiParams>(parsed) : OpenAiParams{};
}

BadRequest refused(const json& body, const OpenAiLimits& limits = kLocal) {
    auto parsed = parse_openai_request(body, limits);
    if (std::holds_alternative<OpenAiParams>(parsed)) ADD_FAILURE() << body.dump() << " was accepted";
    return std::holds_alternative<BadRequest>(parsed) ? std::get<BadRequest>(parsed) : BadRequest{};
}

TEST(OpenAiRequest, SamplingFieldsReachTheCompletionRequest) {
    const OpenAiParams p = accepted(with({{"temperature", 0.2}, {"top_p", 0.5}, {"top_k", 7}, {"min_p", 0.1},
                                          {"presence_penalty", 0.5}, {"frequency_penalty", -0.5}, {"repetition_penalty", 1.3},
                                          {"seed", 42}, {"stop", "END"}, {"max_completion_tokens", 9},
                                          {"logit_bias", {{"15", -100}, {"3", 2.5}}}, {"logprobs", true}, {"top_logprobs", 3}}));
    const CompletionRequest& c = p.completion;
    EXPECT_FLOAT_EQ(c.temperature, 0.2f);
    EXPECT_FLOAT_EQ(c.top_p, 0.5f);
    EXPECT_EQ(c.top_k, 7);
    EXPECT_FLOAT_EQ(*c.min_p, 0.1f);
    EXPECT_FLOAT_EQ(c.presence_penalty, 0.5f);
    EXPECT_FLOAT_EQ(c.frequency_penalty, -0.5f);
    EXPECT_FLOAT_EQ(c.repetition_penalty, 1.3f);
    EXPECT_EQ(c.seed, 42u);
    EXPECT_EQ(c.stop, std::vector<std::string>{"END"});
    EXPECT_EQ(c.max_tokens, 9);
    ASSERT_EQ(c.logit_bias.size(), 2u);
    EXPECT_TRUE(p.logprobs);
    EXPECT_EQ(c.top_logprobs, 3);
    EXPECT_TRUE(c.upstream_fields.empty()) << "the local engine forwards nothing";

    const OpenAiParams plain = accepted(with({}));
    EXPECT_EQ(plain.completion.top_logprobs, -1);
    EXPECT_FALSE(plain.logprobs);
    EXPECT_EQ(accepted(with({{"logprobs", true}})).completion.top_logprobs, 0);
}

TEST(OpenAiRequest, OutOfRangeValuesAreA400NamingTheField) {
    const std::pair<json, std::string> cases[] = {
        {{{"temperature", 2.5}}, "temperature"},
        {{{"top_p", 0}}, "top_p"},
        {{{"presence_penalty", 3}}, "presence_penalty"},
        {{{"frequency_penalty", -2.1}}, "frequency_penalty"},
        {{{"repetition_penalty", 0}}, "repetition_penalty"},
        {{{"min_p", 1.5}}, "min_p"},
        {{{"top_k", -1}}, "top_k"},
        {{{"top_logprobs", 21}, {"logprobs", true}}, "top_logprobs"},
        {{{"top_logprobs", 2}}, "top_logprobs"},
        {{{"logprobs", "yes"}}, "logprobs"},
        {{{"logit_bias", {{"7", 101}}}}, "logit_bias"},
        {{{"logit_bias", {{"seven", 1}}}}, "logit_bias"},
        {{{"logit_bias", {{"-3", 1}}}}, "logit_bias"},
        {{{"logit_bias", json::array()}}, "logit_bias"},
        {{{"max_tokens", 5000}}, "max_tokens"},
        {{{"n", 2}}, "n"},
        {{{"stop", json::array({"a", "b", "c", "d", "e"})}}, "stop"},
        {{{"user", 5}}, "user"},
    };
    for (const auto& [extra, param] : cases) {
        const BadRequest bad = refused(with(extra));
        EXPECT_EQ(bad.param, param) << extra.dump() << ": " << bad.message;
        EXPECT_NE(bad.message.find(param), std::string::npos) << bad.message;
    }
    json many = json::object();
    for (int i = 0; i < 301; ++i) many[std::to_string(i)] = 1;
    EXPECT_EQ(refused(with({{"logit_bias", many}})).param, "logit_bias");
}

TEST(OpenAiRequest, WhatTheLocalModelCannotDoIsRefusedNotIgnored) {
    const std::pair<json, std::string> cases[] = {
        {{{"functions", json::array({{{"name", "f"}}})}}, "functions"},
        {{{"audio", {{"voice", "x"}}}}, "audio"},
        {{{"prediction", {{"type", "content"}}}}, "prediction"},
    };
    for (const auto& [extra, param] : cases) {
        const BadRequest bad = refused(with(extra));
        EXPECT_EQ(bad.code, "unsupported_parameter") << extra.dump();
        EXPECT_EQ(bad.param, param);
    }
    // The "nothing special" values are fine.
    accepted(with({{"tools", json::array()}, {"tool_choice", "none"}, {"response_format", {{"type", "text"}}},
                   {"parallel_tool_calls", true}, {"user", "u"}}));
}

TEST(OpenAiRequest, ToolsAndTheirChoiceAreReadForTheLocalModel) {
    const json weather = {{"type", "function"},
                          {"function", {{"name", "get_weather"}, {"description", "Weather."},
                                        {"parameters", {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}}}}};
    const json clock = {{"type", "function"}, {"function", {{"name", "now"}}}};
    const OpenAiParams p = accepted(with({{"tools", json::array({weather, clock})}, {"tool_choice", "required"},
                                          {"parallel_tool_calls", false}}));
    EXPECT_EQ(p.completion.tool_choice, ToolChoice::Required);
    EXPECT_FALSE(p.completion.parallel_tool_calls);
    const json tools = json::parse(p.completion.tools_json);
    ASSERT_EQ(tools.size(), 2u);
    EXPECT_EQ(tools[0]["function"]["name"], "get_weather");
    EXPECT_EQ(tools[0]["function"]["description"], "Weather.");
    // A function without parameters takes none (OpenAI's default).
    EXPECT_EQ(tools[1]["function"]["parameters"]["type"], "object");
    EXPECT_EQ(accepted(with({{"tools", json::array({weather})}})).completion.tool_choice, ToolChoice::Auto);
    EXPECT_EQ(accepted(with({{"tools", json::array({weather})}, {"tool_choice", "none"}})).completion.tool_choice, ToolChoice::None);
    const OpenAiParams named = accepted(
        with({{"tools", json::array({weather, clock})}, {"tool_choice", {{"type", "function"}, {"function", {{"name", "now"}}}}}}));
    EXPECT_EQ(named.completion.tool_choice, ToolChoice::Named);
    EXPECT_EQ(named.completion.tool_name, "now");

    json bad_schema = weather;
    bad_schema["function"]["parameters"]["patternProperties"] = json::object();
    const std::pair<json, std::string> refusals[] = {
        {{{"tools", "f"}}, "tools"},
        {{{"tools", json::array({{{"type", "code"}}})}}, "tools"},
        {{{"tools", json::array({{{"type", "function"}, {"function", {{"name", "bad name"}}}}})}}, "tools"},
        {{{"tools", json::array({{{"type", "function"}, {"function", {{"name", std::string(65, 'a')}}}}})}}, "tools"},
        {{{"tools", json::array({weather, weather})}}, "tools"},
        {{{"tools", json::array({clock})}, {"tool_choice", "always"}}, "tool_choice"},
        {{{"tool_choice", "required"}}, "tool_choice"},
        {{{"tools", json::array({clock})}, {"tool_choice", {{"type", "function"}, {"function", {{"name", "other"}}}}}}, "tool_choice"},
        {{{"tools", json::array({bad_schema})}, {"tool_choice", "required"}}, "tools"},
        {{{"tools", json::array({clock})}, {"parallel_tool_calls", "yes"}}, "parallel_tool_calls"},
        {{{"tools", json::array({clock})}, {"tool_choice", "required"}, {"response_format", {{"type", "json_object"}}}},
         "response_format"},
    };
    for (const auto& [extra, param] : refusals) {
        EXPECT_EQ(refused(with(extra)).param, param) << extra.dump();
    }
    EXPECT_NE(refused(with({{"tools", json::array({bad_schema})}, {"tool_choice", "required"}})).message.find("patternProperties"),
              std::string::npos);
    // Auto needs no grammar: a schema outside the subset is only shown to the model.
    accepted(with({{"tools", json::array({bad_schema})}}));
}

TEST(OpenAiRequest, ToolCallsAndResultsInMessagesAreKept) {
    json body = with({});
    body["messages"].push_back({{"role", "assistant"}, {"content", nullptr},
                                {"tool_calls", json::array({{{"id", "c1"}, {"type", "function"},
                                                              {"function", {{"name", "f"}, {"arguments", "{\"x\": 1}"}}}},
                                                             {{"id", "c2"}, {"type", "function"},
                                                              {"function", {{"name", "g"}, {"arguments", {{"y", 2}}}}}}})}});
    body["messages"].push_back({{"role", "tool"}, {"tool_call_id", "c1"}, {"name", "f"}, {"content", "42"}});
    const OpenAiParams p = accepted(body);
    const auto& turns = p.completion.messages;
    ASSERT_EQ(turns.size(), 3u);
    ASSERT_EQ(turns[1].tool_calls.size(), 2u);
    EXPECT_EQ(turns[1].tool_calls[0].id, "c1");
    EXPECT_EQ(turns[1].tool_calls[0].name, "f");
    EXPECT_EQ(turns[1].tool_calls[0].arguments, "{\"x\": 1}");
    EXPECT_EQ(json::parse(turns[1].tool_calls[1].arguments), json({{"y", 2}}));
    EXPECT_EQ(turns[2].role, "tool");
    EXPECT_EQ(turns[2].tool_call_id, "c1");
    EXPECT_EQ(turns[2].name, "f");
    EXPECT_EQ(turns[2].content, "42");

    json user_calls = with({});
    user_calls["messages"][0]["tool_calls"] = json::array({{{"function", {{"name", "f"}}}}});
    EXPECT_EQ(refused(user_calls).param, "messages");
    json nameless = with({});
    nameless["messages"].push_back({{"role", "assistant"}, {"tool_calls", json::array({{{"id", "c1"}}})}});
    EXPECT_EQ(refused(nameless).param, "messages");
    json numeric_args = with({});
    numeric_args["messages"].push_back(
        {{"role", "assistant"}, {"tool_calls", json::array({{{"function", {{"name", "f"}, {"arguments", 5}}}}})}});
    EXPECT_EQ(refused(numeric_args).param, "messages");
}

TEST(OpenAiRequest, AResponseFormatBecomesAGrammarForTheLocalModel) {
    EXPECT_TRUE(accepted(with({{"response_format", {{"type", "text"}}}})).completion.grammar.empty());
    const OpenAiParams object = accepted(with({{"response_format", {{"type", "json_object"}}}}));
    EXPECT_FALSE(object.completion.grammar.empty());
    EXPECT_FALSE(object.schema);
    const json schema{{"type", "object"}, {"properties", {{"a", {{"type", "integer"}}}}}, {"required", {"a"}},
                      {"additionalProperties", false}};
    const OpenAiParams typed =
        accepted(with({{"response_format", {{"type", "json_schema"}, {"json_schema", {{"name", "x"}, {"schema", schema}}}}}}));
    EXPECT_FALSE(typed.completion.grammar.empty());
    ASSERT_TRUE(typed.schema);
    EXPECT_EQ(*typed.schema, schema);

    const json refusals[] = {
        {{"type", "xml"}},
        {{"type", "json_schema"}},
        {{"type", "json_schema"}, {"json_schema", {{"name", "x"}}}},
        {{"type", "json_schema"}, {"json_schema", {{"name", 5}, {"schema", schema}}}},
        {{"type", "json_schema"}, {"json_schema", {{"schema", {{"type", "object"}, {"patternProperties", json::object()}}}}}},
        "json",
    };
    for (const json& format : refusals) {
        const BadRequest bad = refused(with({{"response_format", format}}));
        EXPECT_EQ(bad.param, "response_format") << format.dump();
    }
    EXPECT_NE(refused(with({{"response_format", refusals[4]}})).message.find("patternProperties"), std::string::npos);
    // Cloud mode: the upstream implements it; nothing is compiled here.
    const OpenAiParams cloud = accepted(with({{"response_format", {{"type", "json_object"}}}}), kCloud);
    EXPECT_TRUE(cloud.completion.grammar.empty());
}

TEST(OpenAiRequest, CloudModeForwardsTheClientsFieldsAndMessagesAsGiven) {
    const json tool = {{"type", "function"}, {"function", {{"name", "f"}, {"parameters", json::object()}}}};
    json body = with({{"model", "whatever"}, {"stream", true}, {"tools", json::array({tool})}, {"tool_choice", "required"},
                      {"response_format", {{"type", "json_object"}}}, {"max_completion_tokens", 100}, {"seed", 3},
                      {"some_future_field", {{"x", 1}}}});
    body["messages"].push_back({{"role", "assistant"}, {"content", nullptr},
                                {"tool_calls", json::array({{{"id", "c1"}, {"type", "function"},
                                                              {"function", {{"name", "f"}, {"arguments", "{}"}}}}})}});
    body["messages"].push_back({{"role", "tool"}, {"tool_call_id", "c1"}, {"content", "42"}});
    const OpenAiParams p = accepted(body, kCloud);
    const json fields = json::parse(p.completion.upstream_fields);
    for (const char* key : {"tools", "tool_choice", "response_format", "max_completion_tokens", "seed", "some_future_field"}) {
        EXPECT_EQ(fields[key], body[key]) << key;
    }
    for (const char* key : {"model", "messages", "stream"}) EXPECT_FALSE(fields.contains(key)) << key;
    EXPECT_EQ(json::parse(p.completion.upstream_messages), body["messages"]);
    // Ranges are checked in cloud mode too.
    EXPECT_EQ(refused(with({{"temperature", -1}}), kCloud).param, "temperature");
}

TEST(OpenAiRequest, ATextCompletionTakesABarePromptWithTheLegacyDefaultsAndLogprobs) {
    auto parsed = parse_text_completion_request(json{{"prompt", "Once upon"}, {"logprobs", 3}, {"stop", "\n"}}, kLocal);
    ASSERT_TRUE(std::holds_alternative<OpenAiParams>(parsed)) << std::get<BadRequest>(parsed).message;
    const OpenAiParams& p = std::get<OpenAiParams>(parsed);
    EXPECT_EQ(p.completion.raw_prompt, "Once upon");
    EXPECT_TRUE(p.completion.messages.empty());
    EXPECT_EQ(p.completion.max_tokens, 16) << "the legacy default";
    EXPECT_EQ(p.completion.top_logprobs, 3);
    EXPECT_TRUE(p.logprobs);
    EXPECT_TRUE(std::holds_alternative<OpenAiParams>(parse_text_completion_request(json{{"prompt", json::array({"x"})}}, kLocal)));
    const std::pair<json, std::string> refusals[] = {
        {json{{"prompt", json::array({"a", "b"})}}, "prompt"},
        {json{{"prompt", json::array({1, 2})}}, "prompt"},
        {json::object(), "prompt"},
        {json{{"prompt", "x"}, {"logprobs", 6}}, "logprobs"},
        {json{{"prompt", "x"}, {"best_of", 2}}, "best_of"},
        {json{{"prompt", "x"}, {"echo", true}}, "echo"},
        {json{{"prompt", "x"}, {"suffix", "end"}}, "suffix"},
    };
    for (const auto& [body, param] : refusals) {
        auto r = parse_text_completion_request(body, kLocal);
        ASSERT_TRUE(std::holds_alternative<BadRequest>(r)) << body.dump();
        EXPECT_EQ(std::get<BadRequest>(r).param, param) << body.dump();
    }
    // Cloud mode forwards echo and suffix; the prompt is the route's own field.
    auto cloud = parse_text_completion_request(json{{"prompt", "x"}, {"echo", true}, {"suffix", "s"}}, kCloud);
    ASSERT_TRUE(std::holds_alternative<OpenAiParams>(cloud));
    const json fields = json::parse(std::get<OpenAiParams>(cloud).completion.upstream_fields);
    EXPECT_EQ(fields["echo"], true);
    EXPECT_FALSE(fields.contains("prompt"));
}

}  // namespace
}  // namespace clawbot::service
