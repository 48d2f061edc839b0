#include "engine/chat/chat_template.h"

#include <algorithm>

#include "engine/chat/chat_detect.h"
#include "engine/chat/chat_text.h"
#include "engine/chat/content_marks.h"
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
    tmpl.model_template_source_ = std::string(source);
    tmpl.system_role_supported_ = template_supports_system_role(*tmpl.model_template_, bos, eos);
    tmpl.tool_rendering_ = template_tool_rendering(*tmpl.model_template_, bos, eos);
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
    return render_with(messages, options, false);
}

Result<MarkedPrompt> ChatTemplate::render_marked(std::span<const ChatMessage> messages,
                                                 const ChatRenderOptions& options) const {
    std::vector<ChatMessage> clean(messages.begin(), messages.end());
    for (ChatMessage& m : clean) {
        if (has_content_marks(m.content)) m.content = without_content_marks(m.content);
    }
    auto rendered = render_with(clean, options, true);
    if (!rendered.ok()) return rendered.error();
    MarkedPrompt prompt;
    prompt.from_model_template = rendered.value().from_model_template;
    prompt.fallback_reason = without_content_marks(rendered.value().fallback_reason);
    auto unmarked = take_content_marks(rendered.value().text);
    const bool has_tools = !options.tools_json.empty() ||
                           std::any_of(clean.begin(), clean.end(), [](const ChatMessage& m) { return is_tool_turn(m); });
    if (!unmarked && has_tools) return make_error("the model's chat template moved tool text out of place");
    if (!unmarked && prompt.from_model_template) {
        prompt.from_model_template = false;
        prompt.fallback_reason = "the template moved message text out of place";
        unmarked = take_content_marks(render_builtin(family_, clean, options.add_generation_prompt, true));
    }
    if (!unmarked) return make_error("the prompt's message contents could not be located");
    prompt.text = std::move(unmarked->text);
    prompt.content_ranges = std::move(unmarked->marked);
    return prompt;
}

Result<RenderedPrompt> ChatTemplate::render_with(std::span<const ChatMessage> messages,
                                                 const ChatRenderOptions& options, bool mark_contents) const {
    if (messages.empty()) return make_error("the conversation has no messages");
    const bool definitions = !options.tools_json.empty();
    bool calls = false, results = false;
    for (const ChatMessage& m : messages) {
        if (!is_supported_role(m.role) && m.role != "tool") {
            return make_error("unsupported message role '" + m.role + "' (use system, user, assistant or tool)");
        }
        calls = calls || !m.tool_calls.empty();
        results = results || m.role == "tool";
    }
    const bool tool_turns = definitions || calls || results;
    // The built-in families know no tools: tools reach only a model
    // template that renders them, never dropped on the way.
    if ((definitions && !tool_rendering_.definitions) || (calls && !tool_rendering_.calls) ||
        (results && !tool_rendering_.results)) {
        return make_error("unsupported message role 'tool' or tool calls: this model's chat template does not render " +
                          std::string(results && !tool_rendering_.results ? "tool results"
                                      : calls && !tool_rendering_.calls ? "tool calls"
                                                                          : "tool definitions"));
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
        inputs.mark_contents = mark_contents;
        inputs.tools_json = options.tools_json;
        auto rendered = render_jinja_chat(*model_template_, inputs);
        if (rendered.ok()) {
            prompt.text = std::move(rendered).value();
            prompt.from_model_template = true;
            return prompt;
        }
        if (tool_turns) return make_error("the model's chat template failed on this conversation's tools: " + rendered.error().message);
        prompt.fallback_reason = rendered.error().message;
    } else {
        prompt.fallback_reason = model_template_error_;
    }
    prompt.text = render_builtin(family_, messages, options.add_generation_prompt, mark_contents);
    return prompt;
}

}  // namespace clawbot::chat
