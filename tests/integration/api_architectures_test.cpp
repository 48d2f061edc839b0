// The served path on every architecture and on the newer tensor types: the
// real server loads the file, renders the family's chat template and
// answers an OpenAI chat completion.
#include <string>

#include "api_fixture.h"

namespace clawbot::test {
namespace {

class ServedArchitectures : public ApiFixture, public ::testing::WithParamInterface<std::string> {};

TEST_P(ServedArchitectures, ChatCompletionAnswers) {
    start({"--model-path", shared_path("models/" + GetParam() + ".gguf"), "--ctx-size", "256"}, {}, false);
    const nlohmann::json body = {{"model", "local"},
                                 {"messages", nlohmann::json::array({{{"role", "system"}, {"content", "Be brief."}},
                                                                     {{"role", "user"}, {"content", "Hello there"}}})},
                                 {"max_tokens", 5}};
    auto r = post_json("/v1/chat/completions", body, admin_);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto j = json_of(r);
    // The template wraps the two messages in its markers: more tokens than
    // their words alone.
    EXPECT_GT(j["usage"]["prompt_tokens"].get<int>(), 6) << r.body;
    EXPECT_GT(j["usage"]["completion_tokens"].get<int>(), 0) << r.body;
    EXPECT_TRUE(j["choices"][0]["message"]["content"].is_string()) << r.body;
    const std::string finish = j["choices"][0]["finish_reason"].get<std::string>();
    EXPECT_TRUE(finish == "stop" || finish == "length") << finish;
}

INSTANTIATE_TEST_SUITE_P(Files, ServedArchitectures,
                         ::testing::Values("synth-qwen3-q8_0", "synth-qwen3moe-q4_k_m", "synth-gemma3-q5_k_m",
                                           "synth-phi3-q4_k_m", "synth-mini-iq4_xs", "synth-mini-q2_k"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             std::string s = info.param;
                             for (char& c : s) {
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             }
                             return s;
                         });

}  // namespace
}  // namespace clawbot::test
