// Built-in families against llama.cpp's renderings in builtin.jsonl.
#include <gtest/gtest.h>

#include <set>

#include "chat_test_data.h"
#include "engine/chat/chat_family.h"

namespace clawbot::chat {
namespace {

TEST(ChatBuiltin, EveryReferenceLineRendersByteIdentically) {
    const auto cases = test::read_template_cases("builtin.jsonl");
    ASSERT_GE(cases.size(), 21u);
    for (const auto& c : cases) {
        const std::string name = c.at("template");
        const auto family = family_from_name(name);
        if (!c.at("ok").get<bool>()) {
            // llama.cpp refused the name, so it is not a family here either.
            EXPECT_FALSE(family.has_value()) << name;
            continue;
        }
        ASSERT_TRUE(family.has_value()) << "no built-in family named " << name;
        const auto messages = test::messages_of(c);
        EXPECT_EQ(render_builtin(*family, messages, c.at("add_generation_prompt")), c.at("rendered").get<std::string>())
            << name;
    }
}

TEST(ChatBuiltin, ReferenceCoversTheFamiliesItNames) {
    std::set<std::string> names;
    for (const auto& c : test::read_template_cases("builtin.jsonl")) names.insert(c.at("template"));
    for (const char* expected :
         {"chatml", "llama2", "llama2-sys", "mistral-v1", "mistral-v3", "mistral-v7", "phi3",
          "phi4",   "zephyr", "gemma",      "vicuna",     "deepseek",   "deepseek3",  "command-r",
          "llama3", "llama4", "granite",    "openchat",   "falcon3",    "exaone3",    "minicpm"}) {
        EXPECT_TRUE(names.count(expected)) << expected;
    }
}

TEST(ChatBuiltin, NamesRoundTrip) {
    for (ChatTemplateFamily family : all_families()) {
        const auto back = family_from_name(family_name(family));
        ASSERT_TRUE(back.has_value()) << family_name(family);
        EXPECT_EQ(*back, family);
    }
    EXPECT_FALSE(family_from_name("").has_value());
    EXPECT_FALSE(family_from_name("ChatML").has_value());
    EXPECT_FALSE(family_from_name("no-such-format").has_value());
}

// Without the generation prompt the text stops where the reply slot would
// open: it is a proper prefix for families that have one, and the same text
// for those (llama2, mistral, minicpm) whose last user turn already opens it.
TEST(ChatBuiltin, GenerationPromptOnlyAppends) {
    const auto cases = test::read_template_cases("builtin.jsonl");
    const auto messages = test::messages_of(cases.front());
    for (ChatTemplateFamily family : all_families()) {
        const std::string with = render_builtin(family, messages, true);
        const std::string without = render_builtin(family, messages, false);
        EXPECT_TRUE(with.starts_with(without)) << family_name(family);
    }
    EXPECT_EQ(render_builtin(ChatTemplateFamily::chatml, messages, true),
              render_builtin(ChatTemplateFamily::chatml, messages, false) + "<|im_start|>assistant\n");
    EXPECT_EQ(render_builtin(ChatTemplateFamily::llama2, messages, true),
              render_builtin(ChatTemplateFamily::llama2, messages, false));
}

// The variants share code with referenced families; their differences are
// those of the published formats: llama2-sys-bos opens later turns with
// <s>, llama2-sys-strip trims, the tekken variants drop the spaces, and
// vicuna-orca prefixes the system text.
TEST(ChatBuiltin, VariantsDifferOnlyWhereTheirFormatsDo) {
    const std::vector<ChatMessage> chat = {
        {"system", "Be brief."}, {"user", " Hi "}, {"assistant", "Hello."}, {"user", "Bye"}};
    EXPECT_EQ(render_builtin(ChatTemplateFamily::llama2_sys_bos, chat, true),
              "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n Hi  [/INST]Hello.</s><s>[INST] Bye [/INST]");
    EXPECT_EQ(render_builtin(ChatTemplateFamily::llama2_sys_strip, chat, true),
              "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]Hello.</s>[INST] Bye [/INST]");
    EXPECT_EQ(render_builtin(ChatTemplateFamily::mistral_v3_tekken, chat, true),
              "[INST]Be brief.\n\n Hi [/INST]Hello.</s>[INST]Bye[/INST]");
    EXPECT_EQ(render_builtin(ChatTemplateFamily::mistral_v7_tekken, chat, true),
              "[SYSTEM_PROMPT]Be brief.[/SYSTEM_PROMPT][INST] Hi [/INST]Hello.</s>[INST]Bye[/INST]");
    EXPECT_EQ(render_builtin(ChatTemplateFamily::vicuna_orca, chat, true),
              "SYSTEM: Be brief.\nUSER:  Hi \nASSISTANT: Hello.</s>\nUSER: Bye\nASSISTANT:");
}

TEST(ChatBuiltin, EmptyConversationGivesOnlyTheGenerationPrompt) {
    EXPECT_EQ(render_builtin(ChatTemplateFamily::chatml, {}, true), "<|im_start|>assistant\n");
    EXPECT_EQ(render_builtin(ChatTemplateFamily::llama3, {}, false), "");
}

}  // namespace
}  // namespace clawbot::chat
