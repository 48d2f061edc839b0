// The reply splitter on canned model output, fed in every way a stream can
// cut it: reasoning goes to reasoning_content, calls to tool_calls (with
// finish_reason tool_calls), the rest to content; nothing is lost or
// duplicated; a reply that only looks like a call stays content.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "service/provider/reply_splitter.h"

namespace clawbot::service {
namespace {

struct Recorder final : CompletionHandler {
    std::string content, reasoning;
    nlohmann::json calls = nlohmann::json::array();
    std::optional<FinishKind> finish;
    int deltas_after_done = 0;
    void on_delta(const CompletionDelta& d) override {
        if (finish) ++deltas_after_done;
        content += d.content;
        reasoning += d.reasoning;
        if (!d.tool_calls.empty()) {
            for (auto& c : nlohmann::json::parse(d.tool_calls)) calls.push_back(c);
        }
    }
    void on_done(FinishKind f, const CompletionUsage&) override { finish = f; }
    void on_error(const StartError&) override {}
};

// Feeds `reply` in pieces of `step` bytes.
std::shared_ptr<Recorder> split(std::string_view reply, ReplySplitting how, size_t step,
                                FinishKind finish = FinishKind::Stop) {
    auto rec = std::make_shared<Recorder>();
    ReplySplitter splitter(rec, how);
    for (size_t i = 0; i < reply.size(); i += step) {
        CompletionDelta d;
        d.content = reply.substr(i, step);
        splitter.on_delta(d);
    }
    splitter.on_done(finish, CompletionUsage{});
    return rec;
}

constexpr size_t kSteps[] = {1, 2, 3, 5, 7, 1000};

TEST(ReplySplitter, ThinkingBecomesReasoning) {
    for (const size_t step : kSteps) {
        const auto r = split("<think>\nLet me see.\n</think>\n\nThe answer is 4.", {.think = true, .starts_in_think = false, .tools = {}}, step);
        EXPECT_EQ(r->reasoning, "\nLet me see.\n") << step;
        EXPECT_EQ(r->content, "The answer is 4.") << step;
        EXPECT_EQ(r->finish, FinishKind::Stop);
    }
}

TEST(ReplySplitter, APromptThatOpenedThinkingStartsInIt) {
    for (const size_t step : kSteps) {
        const auto r = split("Hmm, 2+2.</think>4", {.think = true, .starts_in_think = true, .tools = {}}, step);
        EXPECT_EQ(r->reasoning, "Hmm, 2+2.") << step;
        EXPECT_EQ(r->content, "4") << step;
    }
}

TEST(ReplySplitter, TextThatOnlyLooksLikeThinkingIsContent) {
    for (const size_t step : kSteps) {
        EXPECT_EQ(split("<thin ice>", {.think = true, .starts_in_think = false, .tools = {}}, step)->content, "<thin ice>");
        EXPECT_EQ(split("Hi <think>x</think>", {.think = true, .starts_in_think = false, .tools = {}}, step)->content,
                  "Hi <think>x</think>");
        // Cut off while thinking: what was thought is still reasoning.
        const auto cut = split("<think>still going", {.think = true, .starts_in_think = false, .tools = {}}, step, FinishKind::Length);
        EXPECT_EQ(cut->reasoning, "still going");
        EXPECT_EQ(cut->content, "");
        EXPECT_EQ(cut->finish, FinishKind::Length);
    }
}

TEST(ReplySplitter, HermesCallsBecomeToolCalls) {
    const std::string reply =
        "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
        "<tool_call>\n{\"name\": \"now\", \"arguments\": {}}\n</tool_call>";
    for (const size_t step : kSteps) {
        const auto r = split(reply, {.think = true, .starts_in_think = false, .tools = ToolCallSyntax::Hermes}, step);
        EXPECT_EQ(r->content, "Let me check.\n") << step;
        ASSERT_EQ(r->calls.size(), 2u) << step;
        EXPECT_EQ(r->calls[0]["index"], 0);
        EXPECT_EQ(r->calls[1]["index"], 1);
        EXPECT_EQ(r->calls[0]["type"], "function");
        EXPECT_EQ(r->calls[0]["function"]["name"], "get_weather");
        EXPECT_EQ(nlohmann::json::parse(r->calls[0]["function"]["arguments"].get<std::string>()), nlohmann::json({{"city", "Paris"}}));
        EXPECT_TRUE(r->calls[0]["id"].get<std::string>().starts_with("call_"));
        EXPECT_NE(r->calls[0]["id"], r->calls[1]["id"]);
        EXPECT_EQ(r->finish, FinishKind::ToolCalls);
        EXPECT_EQ(r->deltas_after_done, 0);
    }
}

TEST(ReplySplitter, ReasoningThenACall) {
    const std::string reply = "<think>Need weather.</think>\n<tool_call>\n{\"name\": \"w\", \"arguments\": {}}\n</tool_call>";
    for (const size_t step : kSteps) {
        const auto r = split(reply, {.think = true, .starts_in_think = false, .tools = ToolCallSyntax::Hermes}, step);
        EXPECT_EQ(r->reasoning, "Need weather.");
        EXPECT_EQ(r->content, "");
        ASSERT_EQ(r->calls.size(), 1u);
        EXPECT_EQ(r->finish, FinishKind::ToolCalls);
    }
}

TEST(ReplySplitter, ACallThatDoesNotParseStaysContent) {
    const std::string broken = "<tool_call>\n{\"name\": \"w\", \"arguments\": {\"a\": </tool_call>";
    for (const size_t step : kSteps) {
        const auto r = split(broken, {.think = false, .starts_in_think = false, .tools = ToolCallSyntax::Hermes}, step);
        EXPECT_EQ(r->content, broken);
        EXPECT_TRUE(r->calls.empty());
        EXPECT_EQ(r->finish, FinishKind::Stop);
        // Cut off mid-call: the text comes back, with the length finish.
        const auto cut = split("<tool_call>\n{\"name\": \"w\", \"argu", {.think = false, .starts_in_think = false, .tools = ToolCallSyntax::Hermes},
                               step, FinishKind::Length);
        EXPECT_EQ(cut->content, "<tool_call>\n{\"name\": \"w\", \"argu");
        EXPECT_EQ(cut->finish, FinishKind::Length);
    }
}

TEST(ReplySplitter, BareJsonCallsCountOnlyAtTheStartOfTheReply) {
    const std::string call = "{\"name\": \"w\", \"parameters\": {\"q\": 1}}";
    for (const size_t step : kSteps) {
        const auto r = split("  " + call, {.think = false, .starts_in_think = false, .tools = ToolCallSyntax::Llama3}, step);
        ASSERT_EQ(r->calls.size(), 1u) << step;
        EXPECT_EQ(r->calls[0]["function"]["name"], "w");
        const auto later = split("Example: " + call, {.think = false, .starts_in_think = false, .tools = ToolCallSyntax::Llama3}, step);
        EXPECT_TRUE(later->calls.empty());
        EXPECT_EQ(later->content, "Example: " + call);
    }
}

TEST(ReplySplitter, MistralKeepsTheModelsIdsAndMintsItsShape) {
    const auto r = split("[TOOL_CALLS][{\"name\": \"w\", \"arguments\": {}, \"id\": \"abcDEF123\"}, {\"name\": \"v\", \"arguments\": {}}]",
                         {.think = false, .starts_in_think = false, .tools = ToolCallSyntax::Mistral}, 4);
    ASSERT_EQ(r->calls.size(), 2u);
    EXPECT_EQ(r->calls[0]["id"], "abcDEF123");
    const std::string minted = r->calls[1]["id"];
    EXPECT_EQ(minted.size(), 9u);
    EXPECT_EQ(new_tool_call_id(ToolCallSyntax::Hermes).size(), 29u);
}

}  // namespace
}  // namespace clawbot::service
