#include "engine/chat/jinja_chat.h"

#include <vector>

#include "engine/chat/content_marks.h"

namespace clawbot::chat {
namespace {

using jinja::Value;

// System text joins the next user message, separated by a newline; system
// text with no user message after it becomes a user message of its own.
std::vector<ChatMessage> fold_system_messages(std::span<const ChatMessage> messages) {
    std::vector<ChatMessage> out;
    std::string pending;
    const auto flush_as_user = [&] {
        if (pending.empty()) return;
        out.push_back(ChatMessage{"user", std::move(pending)});
        pending.clear();
    };
    for (const ChatMessage& m : messages) {
        if (m.role == "system") {
            if (!pending.empty()) pending += "\n";
            pending += m.content;
            continue;
        }
        if (m.role == "user" && !pending.empty()) {
            out.push_back(ChatMessage{"user", pending + (m.content.empty() ? "" : "\n" + m.content)});
            pending.clear();
            continue;
        }
        flush_as_user();
        out.push_back(m);
    }
    flush_as_user();
    return out;
}

Value messages_value(std::span<const ChatMessage> messages, bool mark_contents) {
    std::vector<Value> items;
    items.reserve(messages.size());
    for (const ChatMessage& m : messages) {
        Value content = Value::string(mark_contents ? mark_content(m.content) : m.content);
        items.push_back(Value::object({{"role", Value::string(m.role)}, {"content", std::move(content)}}));
    }
    return Value::array(std::move(items));
}

}  // namespace

Result<std::string> render_jinja_chat(const jinja::JinjaTemplate& tmpl, const JinjaChatInputs& inputs) {
    std::vector<ChatMessage> folded;
    std::span<const ChatMessage> messages = inputs.messages;
    if (inputs.merge_system_into_user) {
        folded = fold_system_messages(messages);
        messages = folded;
    }
    const jinja::Variables variables = {
        {"messages", messages_value(messages, inputs.mark_contents)},
        {"bos_token", Value::string(std::string(inputs.bos_token))},
        {"eos_token", Value::string(std::string(inputs.eos_token))},
        {"add_generation_prompt", Value::boolean(inputs.add_generation_prompt)},
        {"enable_thinking", Value::boolean(inputs.enable_thinking)},
        {"date_string", Value::string(format_date(inputs.today, "%d %b %Y"))},
    };
    auto rendered = tmpl.render(variables, inputs.today);
    if (!rendered.ok()) return rendered;
    std::string text = std::move(rendered).value();
    if (!inputs.bos_token.empty() && text.starts_with(inputs.bos_token)) text.erase(0, inputs.bos_token.size());
    return text;
}

bool template_supports_system_role(const jinja::JinjaTemplate& tmpl, std::string_view bos_token,
                                   std::string_view eos_token) {
    constexpr std::string_view kMarker = "<system-role-probe-7f3a>";
    const ChatMessage probe[] = {{"system", std::string(kMarker)}, {"user", "Hey"}};
    JinjaChatInputs inputs;
    inputs.messages = probe;
    inputs.add_generation_prompt = false;
    inputs.bos_token = bos_token;
    inputs.eos_token = eos_token;
    const auto rendered = render_jinja_chat(tmpl, inputs);
    return rendered.ok() && rendered.value().find(kMarker) != std::string::npos;
}

}  // namespace clawbot::chat
