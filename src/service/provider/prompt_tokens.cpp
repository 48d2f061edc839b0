#include "service/provider/prompt_tokens.h"

namespace clawbot::service {

Result<std::vector<TokenId>> tokenize_prompt(const chat::ChatTemplate& tmpl, const Tokenizer& tokenizer,
                                             std::span<const chat::ChatMessage> messages, std::string_view bos_text,
                                             std::string_view tools_json) {
    chat::ChatRenderOptions options;
    options.add_generation_prompt = true;
    options.tools_json = std::string(tools_json);
    auto prompt = tmpl.render_marked(messages, options);
    if (!prompt) return prompt.error();
    const std::string& text = prompt->text;
    const auto& contents = prompt->content_ranges;
    // Only the template's BOS counts: a message that happens to start the
    // prompt with the BOS text gets no say in it.
    const bool template_has_bos = !bos_text.empty() && text.starts_with(bos_text) &&
                                  (contents.empty() || contents.front().begin >= bos_text.size());
    return tokenizer.encode(text, !template_has_bos, std::span<const ByteRange>(contents));
}

}  // namespace clawbot::service
