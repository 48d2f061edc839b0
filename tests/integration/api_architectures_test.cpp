// The served path on every architecture and on the newer tensor types: the
// real server loads the file, renders the family's chat template and
// answers an OpenAI chat completion.
#include <string>

#include <filesystem>

#include "api_fixture.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model/model_facts.h"

namespace clawbot::test {
namespace {

class ServedArchitectures : public ApiFixture, public ::testing::WithParamInterface<std::string> {};

TEST_P(ServedArchitectures, ChatCompletionAnswers) {
    start({"--model-path", shared_path("models/" + GetParam() + ".gguf"), "--ctx-size", "256"}, {}, false);
    const nlohmann::json body = {{"model", GetParam()},
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

class ServeMemoryCheck : public ApiFixture {};

TEST_F(ServeMemoryCheck, StartLogsTheMemoryServingTakesAsShowComputesIt) {
    const std::string path = shared_path("models/synth-qwen3moe-q4_k_m.gguf");
    start({"--model-path", path, "--ctx-size", "256", "--max-batch-size", "3"}, {}, false);
    auto file = gguf::GgufFile::open(path);
    ASSERT_TRUE(file.ok());
    auto config = read_model_config(**file);
    ASSERT_TRUE(config.ok());
    const ServingMemory need = serving_memory(*config, weight_memory(**file, true), 256, 3);
    EXPECT_EQ(need.kv.tokens, 3 * 256);
    const std::string expected = "memory: serving this model takes about " +
                                 std::to_string((need.total() + (1u << 19)) >> 20) + " MiB";
    EXPECT_NE(server_->log().find(expected), std::string::npos) << expected << "\n" << server_->log();
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
