// A conversation with tools made renderable: what the template renders goes
// to it as data, the rest is written into messages, never dropped.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "service/provider/tool_prompt.h"

namespace clawbot::service {
namespace {

const std::string kTools = R"([{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}])";

std::vector<ChatTurn> conversation() {
    std::vector<ChatTurn> t = {{"system", "Be brief."}, {"user", "Weather?"}, {"assistant", ""}, {"tool", "sunny"}};
    t[2].tool_calls.push_back({"call_abc", "get_weather", R"({"city":"Paris"})"});
    t[3].tool_call_id = "call_abc";
    t[3].name = "get_weather";
    return t;
}

TEST(ToolPrompt, ATemplateThatRendersEverythingGetsItAsData) {
    const auto turns = conversation();
    const ToolPrompt p = build_tool_prompt({turns, kTools, {true, true, true}, ToolCallSyntax::Hermes});
    EXPECT_EQ(p.tools_json, kTools);
    ASSERT_EQ(p.messages.size(), 4u);
    EXPECT_EQ(p.messages[0].content, "Be brief.");
    ASSERT_EQ(p.messages[2].tool_calls.size(), 1u);
    EXPECT_EQ(p.messages[2].tool_calls[0].id, "call_abc");
    EXPECT_EQ(p.messages[2].tool_calls[0].arguments, R"({"city":"Paris"})");
    EXPECT_EQ(p.messages[3].role, "tool");
    EXPECT_EQ(p.messages[3].tool_call_id, "call_abc");
}

TEST(ToolPrompt, WhatTheTemplateCannotRenderIsWrittenIntoMessages) {
    const auto turns = conversation();
    const ToolPrompt p = build_tool_prompt({turns, kTools, {false, false, false}, ToolCallSyntax::Generic});
    EXPECT_TRUE(p.tools_json.empty());
    ASSERT_EQ(p.messages.size(), 4u);
    // The tools, and how to call them, join the system message.
    EXPECT_TRUE(p.messages[0].content.starts_with("Be brief.\n\n"));
    EXPECT_NE(p.messages[0].content.find("get_weather"), std::string::npos);
    EXPECT_NE(p.messages[0].content.find("{\"tool_calls\": [{\"name\": \"TOOL_NAME\""), std::string::npos);
    // The call as the assistant's text, in the syntax the reply is read in.
    EXPECT_TRUE(p.messages[2].tool_calls.empty());
    const auto call = nlohmann::json::parse(p.messages[2].content);
    EXPECT_EQ(call["tool_calls"][0]["name"], "get_weather");
    EXPECT_EQ(call["tool_calls"][0]["arguments"]["city"], "Paris");
    // The result as a user turn.
    EXPECT_EQ(p.messages[3].role, "user");
    EXPECT_NE(p.messages[3].content.find("sunny"), std::string::npos);
    EXPECT_NE(p.messages[3].content.find("get_weather"), std::string::npos);
    // Without a system message, the description is one.
    const std::vector<ChatTurn> bare = {{"user", "Hi"}};
    const ToolPrompt q = build_tool_prompt({bare, kTools, {false, false, false}, ToolCallSyntax::Generic});
    ASSERT_EQ(q.messages.size(), 2u);
    EXPECT_EQ(q.messages[0].role, "system");
    // Granite prints definitions and results, not calls: the call is its syntax.
    const ToolPrompt g = build_tool_prompt({turns, kTools, {true, false, true}, ToolCallSyntax::Granite});
    EXPECT_EQ(g.tools_json, kTools);
    EXPECT_TRUE(g.messages[2].content.starts_with("<|tool_call|>[{"));
    EXPECT_EQ(g.messages[3].role, "tool");
}

TEST(ToolPrompt, NoToolsShownWhenThereAreNone) {
    const auto turns = conversation();
    const ToolPrompt p = build_tool_prompt({turns, "", {false, false, false}, ToolCallSyntax::Generic});
    EXPECT_EQ(p.messages[0].content, "Be brief.");
}

TEST(ToolPrompt, MistralIdsAreNineLettersAndDigitsAndStayPaired) {
    const auto turns = conversation();
    const ToolPrompt p = build_tool_prompt({turns, kTools, {true, true, true}, ToolCallSyntax::Mistral});
    const std::string id = p.messages[2].tool_calls[0].id;
    EXPECT_EQ(id.size(), 9u);
    EXPECT_EQ(p.messages[3].tool_call_id, id);
    EXPECT_EQ(mistral_call_id("abcDEF123"), "abcDEF123");
    EXPECT_NE(mistral_call_id("call_a"), mistral_call_id("call_b"));
}

}  // namespace
}  // namespace clawbot::service
