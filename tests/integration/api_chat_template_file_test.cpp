// CHAT_TEMPLATE_FILE (--chat-template-file): a Jinja template that replaces
// the model's own. The prompt a request costs is the file's rendering; a
// file that cannot render a conversation, or cannot be read, stops the start
// with an error naming the setting.
#include <fstream>

#include "api_fixture.h"
#include "support/process.h"

namespace clawbot::test {
namespace {

using nlohmann::json;

class ChatTemplateFile : public ApiFixture {
protected:
    std::string write_template(const std::string& text) {
        const std::string path = dir_ + "/template.jinja";
        std::ofstream(path) << text;
        return path;
    }
};

TEST_F(ChatTemplateFile, ThePromptIsTheFilesRendering) {
    start({"--chat-template-file",
           write_template("{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }} {% endfor %}"
                          "{% if add_generation_prompt %}[assistant]{% endif %}")});
    const json req{{"messages", json::array({{{"role", "user"}, {"content", "Once upon a time"}}})},
                   {"max_tokens", 4},
                   {"temperature", 0}};
    auto r = post_json("/v1/chat/completions", req, admin_);
    ASSERT_EQ(r.status, 200) << r.body;
    // The same text through the tokenizer alone (BOS included, as for a prompt).
    auto [rc, out] = run_clawbot_command("tokenize --model " + shell_quote(shared_path("models/stories260K.gguf")) + " " +
                                         shell_quote("[user] Once upon a time [assistant]"));
    ASSERT_EQ(rc, 0) << out;
    const json ids = json::parse(out.substr(out.find('[')), nullptr, false);
    ASSERT_TRUE(ids.is_array()) << out;
    EXPECT_EQ(json_of(r)["usage"]["prompt_tokens"].get<size_t>(), ids.size());
    EXPECT_NE(server_->log().find("chat template from"), std::string::npos) << server_->log();
}

TEST_F(ChatTemplateFile, AFileThatCannotRenderOrBeReadStopsTheStart) {
    const std::string model = shared_path("models/stories260K.gguf");
    const std::string broken = write_template("{% for m in messages %}{{ m['content'] }}");  // no endfor
    for (const std::string& file : {broken, dir_ + "/missing.jinja"}) {
        auto [rc, out] = run_clawbot_command("serve --config " + shell_quote(config_) + " --model-path " + shell_quote(model) +
                                             " --port 0 --chat-template-file " + shell_quote(file));
        EXPECT_NE(rc, 0) << out;
        EXPECT_NE(out.find("CHAT_TEMPLATE_FILE " + file), std::string::npos) << out;
    }
}

}  // namespace
}  // namespace clawbot::test
