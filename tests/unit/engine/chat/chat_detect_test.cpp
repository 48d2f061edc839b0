// Family detection from real model templates and from each format's markers.
#include "engine/chat/chat_detect.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "chat_test_data.h"

namespace clawbot::chat {
namespace {

using F = ChatTemplateFamily;

// What each model's template is: the family whose format it writes, or
// nothing for formats with no built-in family (gpt-oss "harmony", Gemma 4).
const std::map<std::string, std::optional<F>>& expected_families() {
    static const std::map<std::string, std::optional<F>> expected = {
        {"meta-llama-Llama-3.1-8B-Instruct.jinja", F::llama3},
        {"meta-llama-Llama-3.2-3B-Instruct.jinja", F::llama3},
        {"Qwen-Qwen2.5-7B-Instruct.jinja", F::chatml},
        {"Qwen-Qwen3-0.6B.jinja", F::chatml},
        {"Qwen3.5-4B.jinja", F::chatml},
        {"HuggingFaceTB-SmolLM3-3B.jinja", F::chatml},
        {"google-gemma-2-2b-it.jinja", F::gemma},
        {"microsoft-Phi-3.5-mini-instruct.jinja", F::phi3},
        {"mistralai-Mistral-Nemo-Instruct-2407.jinja", F::mistral_v3_tekken},
        {"deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", F::deepseek3},
        {"deepseek-ai-DeepSeek-V3.1.jinja", F::deepseek3},
        {"ibm-granite-granite-3.3-2B-Instruct.jinja", F::granite},
        {"openai-gpt-oss-120b.jinja", std::nullopt},
        {"google-gemma-4-31B-it.jinja", std::nullopt},
    };
    return expected;
}

std::string label(const std::optional<F>& f) { return f ? std::string(family_name(*f)) : "none"; }

TEST(ChatDetect, RealTemplatesMapToTheirFamily) {
    const auto cases = test::read_template_cases("jinja.jsonl");
    ASSERT_EQ(cases.size(), expected_families().size());
    for (const auto& c : cases) {
        const std::string file = c.at("template_file");
        const auto it = expected_families().find(file);
        ASSERT_NE(it, expected_families().end()) << "no expectation for " << file;
        const std::string source = test::jinja_source(file);
        EXPECT_EQ(label(match_family(source)), label(it->second)) << file;
        EXPECT_EQ(detect_family(source), it->second.value_or(kFallbackFamily)) << file;
    }
}

// Where a model's template writes exactly a built-in format, the detected
// family must reproduce llama.cpp's rendering of the real template.
TEST(ChatDetect, DetectedFamilyRendersLikeTheRealTemplateWhereFormatsAgree) {
    const std::set<std::string> identical = {"Qwen-Qwen2.5-7B-Instruct.jinja", "Qwen-Qwen3-0.6B.jinja",
                                             "microsoft-Phi-3.5-mini-instruct.jinja",
                                             "ibm-granite-granite-3.3-2B-Instruct.jinja"};
    std::size_t checked = 0;
    for (const auto& c : test::read_template_cases("jinja.jsonl")) {
        const std::string file = c.at("template_file");
        if (!identical.count(file)) continue;
        const auto family = detect_family(test::jinja_source(file));
        EXPECT_EQ(render_builtin(family, test::messages_of(c), c.at("add_generation_prompt")),
                  c.at("rendered").get<std::string>())
            << file;
        ++checked;
    }
    EXPECT_EQ(checked, identical.size());
}

TEST(ChatDetect, FamilyNameSelectsTheFamily) {
    for (F family : all_families()) EXPECT_EQ(match_family(family_name(family)), family);
    EXPECT_EQ(match_family("exaone4"), F::exaone3);
}

TEST(ChatDetect, MarkersOfEachFormat) {
    const std::vector<std::pair<std::string, std::optional<F>>> cases = {
        {"{{ '<|im_start|>' + role }}", F::chatml},
        {"{{ '<|im_start|>' + role + '<|im_sep|>' }}", F::phi4},
        {"<|im_start|>{{ 'User:' }}<end_of_utterance>", std::nullopt},  // SmolVLM
        {"{{ '[INST] ' + content + ' [/INST]' }}", F::llama2},
        {"{{ '[INST] <<SYS>>\\n' }}", F::llama2_sys},
        {"{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}", F::llama2_sys_strip},
        {"<<SYS>>{{ bos_token + '[INST] ' }}", F::llama2_sys_bos},
        {"{{ ' [INST] ' + system_message }}", F::mistral_v1},
        {"{{ '[AVAILABLE_TOOLS]' }}{{ '[INST] ' }}", F::mistral_v3},
        {"{{ \"[AVAILABLE_TOOLS]\" }}{{ \"[INST]\" }}", F::mistral_v3_tekken},
        {"[SYSTEM_PROMPT]{{ '[INST]' }}", F::mistral_v7},
        {"mistral-like", F::llama2},
        {"<|user|>\n{{ c }}<|end|>\n<|assistant|>", F::phi3},
        {"<|user|>{{ c }}</s><|assistant|>", F::falcon3},
        {"<|user|>{{ c }}<|assistant|>", std::nullopt},  // GLM-Edge
        {"[gMASK]<sop><|user|><|assistant|>", std::nullopt},
        {"<|user|>\n{{ c }}<|endoftext|>", F::zephyr},
        {"<start_of_turn>user", F::gemma},
        {"GPT4 Correct User: ", F::openchat},
        {"USER: {{ c }} ASSISTANT: ", F::vicuna},
        {"SYSTEM: USER: {{ c }} ASSISTANT: ", F::vicuna_orca},
        {"### Instruction:\n{{ c }}<|EOT|>", F::deepseek},
        {"<|START_OF_TURN_TOKEN|><|USER_TOKEN|>", F::command_r},
        {"<|start_header_id|>user<|end_header_id|>", F::llama3},
        {"<用户>{{ c }}<AI>", F::minicpm},
        {"<｜User｜>{{ c }}<｜Assistant｜>{{ r }}<｜end▁of▁sentence｜>", F::deepseek3},
        {"[|system|]{{ s }}[|endofturn|][|assistant|]", F::exaone3},
        {"<|start_of_role|>user<|end_of_role|>", F::granite},
        {"<|header_start|>user<|header_end|>", F::llama4},
        {"{% for m in messages %}{{ m.content }}{% endfor %}", std::nullopt},
        {"", std::nullopt},
    };
    for (const auto& [source, expected] : cases) EXPECT_EQ(label(match_family(source)), label(expected)) << source;
    EXPECT_EQ(detect_family("plain {{ text }}"), kFallbackFamily);
    EXPECT_EQ(kFallbackFamily, F::chatml);
}

}  // namespace
}  // namespace clawbot::chat
