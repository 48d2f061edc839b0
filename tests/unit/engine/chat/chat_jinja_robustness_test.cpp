// Model files are untrusted: damaged or hostile templates must give an error
// or a bounded prompt, never a crash or a hang. Mutates the real templates
// (deterministically) and renders every variant through ChatTemplate.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "chat_test_data.h"
#include "engine/chat/chat_template.h"

namespace clawbot::chat {
namespace {

std::vector<std::string> real_templates() {
    std::vector<std::string> sources;
    for (const auto& entry : std::filesystem::directory_iterator(test::shared_path("reference/templates/jinja"))) {
        sources.push_back(test::read_file(entry.path().string()));
    }
    return sources;
}

// Pieces of template syntax, so mutations reach the parser's and the
// evaluator's corners rather than just breaking a tag.
constexpr const char* kFragments[] = {"{%",
                                      "%}",
                                      "{{",
                                      "}}",
                                      "{#",
                                      "#}",
                                      "(",
                                      ")",
                                      "[",
                                      "]",
                                      "{",
                                      "}",
                                      "'",
                                      "\"",
                                      "-",
                                      "|",
                                      "=",
                                      ".",
                                      ",",
                                      ":",
                                      "~",
                                      "*",
                                      "**",
                                      "\\",
                                      " for x in messages ",
                                      "endfor",
                                      " if ",
                                      "endif",
                                      "macro m(a) ",
                                      "endmacro",
                                      "set ",
                                      "loop.",
                                      "ns.",
                                      "not ",
                                      " in ",
                                      " is ",
                                      "range(99999)",
                                      "[::-1]",
                                      " * 100000",
                                      "namespace(",
                                      "m(m)",
                                      "|tojson"};

std::string mutate(std::string s, std::mt19937& rng) {
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
        const std::size_t pos = rng() % (s.size() + 1);
        switch (rng() % 3) {
            case 0:
                s.erase(pos, rng() % 20);
                break;
            case 1:
                s.insert(pos, kFragments[rng() % std::size(kFragments)]);
                break;
            default: {
                const std::string piece = s.substr(pos, rng() % 50);
                s.insert(rng() % (s.size() + 1), piece);
            }
        }
    }
    return s;
}

TEST(JinjaRobustness, MutatedRealTemplatesNeverCrash) {
    const auto sources = real_templates();
    ASSERT_EQ(sources.size(), 14u);
    const std::vector<ChatMessage> chat = {
        {"system", "S"}, {"user", "U 你好"}, {"assistant", "<think>r</think>A"}, {"user", "V"}};
    ChatRenderOptions options;
    options.today = test::kReferenceDate;
    std::mt19937 rng(20261127);
    int by_model_template = 0;
    constexpr int kVariants = 1500;
    for (int i = 0; i < kVariants; ++i) {
        const std::string source = mutate(sources[rng() % sources.size()], rng);
        const auto tmpl = ChatTemplate::from_model(source, "<s>", "</s>");
        const auto rendered = tmpl.render_detailed(chat, options);
        // Valid roles always render: by the template or by the fallback family.
        ASSERT_TRUE(rendered.ok()) << source;
        EXPECT_LE(rendered.value().text.size(), jinja::RenderLimits{}.max_output_bytes);
        if (rendered.value().from_model_template) ++by_model_template;
    }
    // Many mutations are harmless (inside text or comments), so a fair share
    // must still render through the interpreter.
    EXPECT_GT(by_model_template, kVariants / 10);
}

}  // namespace
}  // namespace clawbot::chat
