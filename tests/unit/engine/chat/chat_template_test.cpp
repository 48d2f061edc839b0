// ChatTemplate as the server uses it: choosing between the model's own
// template and a built-in family, validating roles, falling back.
#include "engine/chat/chat_template.h"

#include <gtest/gtest.h>

#include "chat_test_data.h"

namespace clawbot::chat {
namespace {

const std::vector<ChatMessage> kChat = {
    {"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello."}, {"user", "Bye"}};

ChatRenderOptions on_reference_date() {
    ChatRenderOptions options;
    options.today = test::kReferenceDate;
    return options;
}

TEST(ChatTemplate, WithoutATemplateUsesChatml) {
    for (const auto& source : {std::optional<std::string_view>(), std::optional<std::string_view>(""),
                               std::optional<std::string_view>("  \n")}) {
        const auto tmpl = ChatTemplate::from_model(source, "<s>", "</s>");
        EXPECT_EQ(tmpl.name(), "chatml");
        EXPECT_EQ(tmpl.family(), ChatTemplateFamily::chatml);
        EXPECT_FALSE(tmpl.has_model_template());
        const auto rendered = tmpl.render(kChat, true);
        ASSERT_TRUE(rendered.ok());
        EXPECT_EQ(rendered.value(),
                  "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                  "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n"
                  "<|im_start|>assistant\n");
    }
}

TEST(ChatTemplate, AFamilyNameSelectsThatFamily) {
    const auto tmpl = ChatTemplate::from_model("llama3", "<s>", "</s>");
    EXPECT_EQ(tmpl.name(), "llama3");
    EXPECT_FALSE(tmpl.has_model_template());
    EXPECT_EQ(tmpl.render(kChat, false).value(), render_builtin(ChatTemplateFamily::llama3, kChat, false));
    EXPECT_EQ(ChatTemplate::from_family(ChatTemplateFamily::gemma).name(), "gemma");
}

TEST(ChatTemplate, RolesAreValidated) {
    const auto tmpl = ChatTemplate::from_model(std::nullopt, "<s>", "</s>");
    const std::vector<ChatMessage> with_tool = {{"user", "Hi"}, {"tool", "42"}};
    const auto rendered = tmpl.render(with_tool, true);
    ASSERT_FALSE(rendered.ok());
    EXPECT_NE(rendered.error().message.find("'tool'"), std::string::npos);
    EXPECT_FALSE(tmpl.render({}, true).ok());
    const auto jinja = ChatTemplate::from_model("{% for m in messages %}{{ m.content }}{% endfor %}", "<s>", "</s>");
    EXPECT_FALSE(jinja.render(std::vector<ChatMessage>{{"User", "Hi"}}, true).ok());
}

TEST(ChatTemplate, ModelTemplateThatFailsFallsBackToItsFamily) {
    const auto tmpl = ChatTemplate::from_model(
        "{% if messages|length > 3 %}{{ raise_exception('too many turns') }}{% endif %}"
        "{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>{{ m.content }}{% endfor %}",
        "<s>", "</s>");
    EXPECT_EQ(tmpl.name(), "jinja");
    EXPECT_EQ(tmpl.family(), ChatTemplateFamily::llama3);
    const std::vector<ChatMessage> short_chat = {{"user", "Hi"}};
    const auto ok = tmpl.render_detailed(short_chat, on_reference_date());
    ASSERT_TRUE(ok.ok());
    EXPECT_TRUE(ok.value().from_model_template);
    EXPECT_EQ(ok.value().text, "<|start_header_id|>user<|end_header_id|>Hi");

    const auto fallback = tmpl.render_detailed(kChat, on_reference_date());
    ASSERT_TRUE(fallback.ok());
    EXPECT_FALSE(fallback.value().from_model_template);
    EXPECT_NE(fallback.value().fallback_reason.find("too many turns"), std::string::npos);
    EXPECT_EQ(fallback.value().text, render_builtin(ChatTemplateFamily::llama3, kChat, true));
}

TEST(ChatTemplate, UnparsableTemplateUsesItsFamily) {
    const auto tmpl = ChatTemplate::from_model("<start_of_turn>{% if %}", "<bos>", "<eos>");
    EXPECT_FALSE(tmpl.has_model_template());
    EXPECT_FALSE(tmpl.model_template_error().empty());
    EXPECT_EQ(tmpl.name(), "gemma");
    const auto rendered = tmpl.render_detailed(kChat, on_reference_date());
    ASSERT_TRUE(rendered.ok());
    EXPECT_FALSE(rendered.value().from_model_template);
    EXPECT_EQ(rendered.value().fallback_reason, tmpl.model_template_error());
    EXPECT_EQ(rendered.value().text, render_builtin(ChatTemplateFamily::gemma, kChat, true));
}

// For a template that rejects system messages, system text opens the next
// user message (joined by a newline), as llama.cpp's polyfill does.
TEST(ChatTemplate, SystemTextJoinsTheUserTurnWhenTheTemplateHasNoSystemRole) {
    const auto tmpl = ChatTemplate::from_model(
        "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('no system role') }}{% endif %}"
        "[{{ m.role }}:{{ m.content }}]{% endfor %}",
        "<s>", "</s>");
    const auto rendered = tmpl.render_detailed(kChat, on_reference_date());
    ASSERT_TRUE(rendered.ok());
    EXPECT_TRUE(rendered.value().from_model_template) << rendered.value().fallback_reason;
    EXPECT_EQ(rendered.value().text, "[user:Be brief.\nHi][assistant:Hello.][user:Bye]");

    const std::vector<ChatMessage> trailing_system = {{"user", "Hi"}, {"system", "Note."}};
    EXPECT_EQ(tmpl.render(trailing_system, true).value(), "[user:Hi][user:Note.]");
}

TEST(ChatTemplate, LeadingBosIsLeftToTheTokenizer) {
    const std::string source = "{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}";
    const std::vector<ChatMessage> chat = {{"user", "Hi"}};
    EXPECT_EQ(ChatTemplate::from_model(source, "<s>", "</s>").render(chat, true).value(), "Hi</s>");
    EXPECT_EQ(ChatTemplate::from_model(source, "", "</s>").render(chat, true).value(), "Hi</s>");
}

TEST(ChatTemplate, DateAndThinkingAreParameters) {
    const auto tmpl = ChatTemplate::from_model(
        "{{ strftime_now('%d %b %Y') }}|{{ date_string }}|{{ enable_thinking }}|{{ add_generation_prompt }}", "<s>",
        "</s>");
    const std::vector<ChatMessage> chat = {{"user", "Hi"}};
    ChatRenderOptions options = on_reference_date();
    EXPECT_EQ(tmpl.render_detailed(chat, options).value().text, "27 Nov 2026|27 Nov 2026|True|True");
    options.enable_thinking = false;
    options.add_generation_prompt = false;
    options.today = CalendarDate{2025, 1, 5};
    EXPECT_EQ(tmpl.render_detailed(chat, options).value().text, "05 Jan 2025|05 Jan 2025|False|False");
}

TEST(ChatTemplate, TodayDefaultsToTheLocalDate) {
    const auto tmpl = ChatTemplate::from_model("{{ strftime_now('%Y-%m-%d') }}", "<s>", "</s>");
    const std::vector<ChatMessage> chat = {{"user", "Hi"}};
    EXPECT_EQ(tmpl.render(chat, true).value(), format_date(local_today(), "%Y-%m-%d"));
}

}  // namespace
}  // namespace clawbot::chat
