#include "engine/chat/chat_template.h"

#include "engine/chat/chat_detect.h"
#include "engine/chat/chat_text.h"
#include "engine/chat/jinja_chat.h"

namespace clawbot::chat {

ChatTemplate ChatTemplate::from_family(ChatTemplateFamily family) { return ChatTemplate(family); }

ChatTemplate ChatTemplate::from_model(std::optional<std::string_view> jinja_source, std::string_view bos,
                                      std::string_view eos) {
    if (!jinja_source || trim_ascii_space(*jinja_source).empty()) return ChatTemplate(kFallbackFamily);
    const std::string_view source = *jinja_source;
    if (const auto named = family_from_name(trim_ascii_space(source))) return ChatTemplate(*named);

    ChatTemplate tmpl(detect_family(source));
    tmpl.bos_ = std::string(bos);
    tmpl.eos_ = std::string(eos);
    auto parsed = jinja::JinjaTemplate::parse(source);
    if (!parsed.ok()) {
        tmpl.model_template_error_ = parsed.error().message;
        return tmpl;
    }
    tmpl.model_template_ = std::move(parsed).value();
    tmpl.system_role_supported_ = template_supports_system_role(*tmpl.model_template_, bos, eos);
    return tmpl;
}

std::string_view ChatTemplate::name() const { return model_template_ ? "jinja" : family_name(family_); }

Result<std::string> ChatTemplate::render(std::span<const ChatMessage> messages, bool add_generation_prompt) const {
    ChatRenderOptions options;
    options.add_generation_prompt = add_generation_prompt;
    auto rendered = render_detailed(messages, options);
    if (!rendered.ok()) return rendered.error();
    return std::move(rendered.value().text);
}

Result<RenderedPrompt> ChatTemplate::render_detailed(std::span<const ChatMessage> messages,
                                                     const ChatRenderOptions& options) const {
    if (messages.empty()) return make_error("the conversation has no messages");
    for (const ChatMessage& m : messages) {
        if (!is_supported_role(m.role)) {
            return make_error("unsupported message role '" + m.role + "' (use system, user or assistant)");
        }
    }
    RenderedPrompt prompt;
    if (model_template_) {
        JinjaChatInputs inputs;
        inputs.messages = messages;
        inputs.add_generation_prompt = options.add_generation_prompt;
        inputs.today = options.today.value_or(local_today());
        inputs.bos_token = bos_;
        inputs.eos_token = eos_;
        inputs.enable_thinking = options.enable_thinking;
        inputs.merge_system_into_user = !system_role_supported_;
        auto rendered = render_jinja_chat(*model_template_, inputs);
        if (rendered.ok()) {
            prompt.text = std::move(rendered).value();
            prompt.from_model_template = true;
            return prompt;
        }
        prompt.fallback_reason = rendered.error().message;
    } else {
        prompt.fallback_reason = model_template_error_;
    }
    prompt.text = render_builtin(family_, messages, options.add_generation_prompt);
    return prompt;
}

}  // namespace clawbot::chat
