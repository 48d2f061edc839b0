// The real chat templates of 14 model families, rendered by the interpreter,
// against llama.cpp's renderings in jinja.jsonl.
#include <cctype>
#include <stdexcept>

#include <gtest/gtest.h>

#include "chat_test_data.h"
#include "engine/chat/chat_template.h"
#include "engine/chat/jinja_chat.h"

namespace clawbot::chat {
namespace {

std::vector<std::string> template_files() {
    std::vector<std::string> files;
    for (const auto& c : test::read_template_cases("jinja.jsonl")) files.push_back(c.at("template_file"));
    return files;
}

nlohmann::json case_for(const std::string& template_file) {
    for (const auto& c : test::read_template_cases("jinja.jsonl")) {
        if (c.at("template_file") == template_file) return c;
    }
    throw std::runtime_error("no reference case for " + template_file);
}

// Parameterized by template file, so test names stay short.
class JinjaReference : public ::testing::TestWithParam<std::string> {};

TEST_P(JinjaReference, InterpreterRendersByteIdentically) {
    const auto c = case_for(GetParam());
    const std::string file = c.at("template_file");
    auto parsed = jinja::JinjaTemplate::parse(test::jinja_source(file));
    ASSERT_TRUE(parsed.ok()) << file << ": " << parsed.error().message;
    const std::string bos = c.at("bos_token");
    const std::string eos = c.at("eos_token");
    const auto messages = test::messages_of(c);

    JinjaChatInputs inputs;
    inputs.messages = messages;
    inputs.add_generation_prompt = c.at("add_generation_prompt");
    inputs.today = test::kReferenceDate;
    inputs.bos_token = bos;
    inputs.eos_token = eos;
    inputs.merge_system_into_user = !template_supports_system_role(parsed.value(), bos, eos);
    const auto rendered = render_jinja_chat(parsed.value(), inputs);
    if (!c.at("ok").get<bool>()) {
        // llama.cpp could not render this conversation with the template.
        EXPECT_FALSE(rendered.ok()) << file;
        return;
    }
    ASSERT_TRUE(rendered.ok()) << file << ": " << rendered.error().message;
    EXPECT_EQ(rendered.value(), c.at("rendered").get<std::string>()) << file;
}

TEST_P(JinjaReference, ChatTemplatePrefersTheModelTemplate) {
    const auto c = case_for(GetParam());
    if (!c.at("ok").get<bool>()) GTEST_SKIP() << "reference could not render";
    const auto tmpl =
        ChatTemplate::from_model(test::jinja_source(c.at("template_file")), c.at("bos_token").get<std::string>(),
                                 c.at("eos_token").get<std::string>());
    EXPECT_EQ(tmpl.name(), "jinja");
    EXPECT_TRUE(tmpl.has_model_template());
    ChatRenderOptions options;
    options.add_generation_prompt = c.at("add_generation_prompt");
    options.today = test::kReferenceDate;
    const auto messages = test::messages_of(c);
    const auto rendered = tmpl.render_detailed(messages, options);
    ASSERT_TRUE(rendered.ok()) << rendered.error().message;
    EXPECT_TRUE(rendered.value().from_model_template) << rendered.value().fallback_reason;
    EXPECT_EQ(rendered.value().text, c.at("rendered").get<std::string>());
}

std::string case_name(const ::testing::TestParamInfo<std::string>& info) {
    std::string name = info.param;
    name = name.substr(0, name.find(".jinja"));
    for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(RealTemplates, JinjaReference, ::testing::ValuesIn(template_files()), case_name);

TEST(JinjaReferenceFile, HasAllFourteenTemplates) { EXPECT_EQ(test::read_template_cases("jinja.jsonl").size(), 14u); }

}  // namespace
}  // namespace clawbot::chat
