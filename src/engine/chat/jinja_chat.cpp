#include "engine/chat/jinja_chat.h"

#include <vector>

#include "engine/chat/content_marks.h"
#include "engine/chat/jinja_json.h"

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
        out.emplace_back("user", std::move(pending));
        pending.clear();
    };
    for (const ChatMessage& m : messages) {
        if (m.role == "system") {
            if (!pending.empty()) pending += "\n";
            pending += m.content;
            continue;
        }
        if (m.role == "user" && !pending.empty()) {
            out.emplace_back("user", pending + (m.content.empty() ? "" : "\n" + m.content));
            pending.clear();
            continue;
        }
        flush_as_user();
        out.push_back(m);
    }
    flush_as_user();
    return out;
}

// Client text the template may print: marked like a content (see
// content_marks.h), any marks it held itself removed first.
Value client_string(const std::string& text, bool mark) {
    return Value::string(mark ? mark_content(without_content_marks(text)) : text);
}

// A call as templates read it: OpenAI's shape, the arguments an object
// (templates print them with tojson; one that does not parse stays text).
Value tool_call_value(const ChatToolCall& call, bool mark) {
    std::optional<Value> arguments = jinja::parse_json_value(call.arguments, {.mark_strings = mark});
    if (!arguments) arguments = client_string(call.arguments, mark);
    Value function = Value::object({{"name", client_string(call.name, mark)}, {"arguments", std::move(*arguments)}});
    return Value::object({{"id", client_string(call.id, mark)},
                          {"type", Value::string("function")},
                          {"function", std::move(function)}});
}

Value messages_value(std::span<const ChatMessage> messages, bool mark_contents) {
    std::vector<Value> items;
    items.reserve(messages.size());
    for (const ChatMessage& m : messages) {
        Value message = Value::object({{"role", Value::string(m.role)}, {"content", client_string(m.content, mark_contents)}});
        jinja::Object& fields = message.as_object();
        if (!m.tool_calls.empty()) {
            std::vector<Value> calls;
            for (const ChatToolCall& call : m.tool_calls) calls.push_back(tool_call_value(call, mark_contents));
            fields.set("tool_calls", Value::array(std::move(calls)));
        }
        if (m.role == "tool") {
            fields.set("tool_call_id", client_string(m.tool_call_id, mark_contents));
            if (!m.name.empty()) fields.set("name", client_string(m.name, mark_contents));
        }
        items.push_back(std::move(message));
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
    jinja::Variables variables = {
        {"messages", messages_value(messages, inputs.mark_contents)},
        {"bos_token", Value::string(std::string(inputs.bos_token))},
        {"eos_token", Value::string(std::string(inputs.eos_token))},
        {"add_generation_prompt", Value::boolean(inputs.add_generation_prompt)},
        {"enable_thinking", Value::boolean(inputs.enable_thinking)},
        {"date_string", Value::string(format_date(inputs.today, "%d %b %Y"))},
    };
    if (!inputs.tools_json.empty()) {
        auto tools = jinja::parse_json_value(inputs.tools_json, {.mark_strings = inputs.mark_contents});
        if (!tools || !tools->is_array()) return make_error("the tools are not a JSON array");
        variables.emplace_back("tools", std::move(*tools));
    }
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

namespace {

bool renders_with(const jinja::JinjaTemplate& tmpl, std::string_view bos_token, std::string_view eos_token,
                  std::span<const ChatMessage> messages, std::string_view tools, std::initializer_list<std::string_view> needles) {
    JinjaChatInputs inputs;
    inputs.messages = messages;
    inputs.bos_token = bos_token;
    inputs.eos_token = eos_token;
    inputs.tools_json = tools;
    const auto rendered = render_jinja_chat(tmpl, inputs);
    if (!rendered.ok()) return false;
    for (std::string_view needle : needles) {
        if (rendered.value().find(needle) == std::string::npos) return false;
    }
    return true;
}

}  // namespace

ToolRendering template_tool_rendering(const jinja::JinjaTemplate& tmpl, std::string_view bos_token,
                                      std::string_view eos_token) {
    // Mistral's templates insist on ids of 9 letters and digits.
    std::vector<ChatMessage> probe = {{"user", "Hey"}, {"assistant", ""}, {"tool", "probe-result-7f3a"}};
    probe[1].tool_calls.push_back({"call7f3ab", "probe_call_7f3a", R"({"city": "probe-city-7f3a"})"});
    probe[2].tool_call_id = "call7f3ab";
    probe[2].name = "probe_call_7f3a";
    const std::string tools = R"([{"type": "function", "function": {"name": "probe_tool_7f3a", "description": "Probe-description-7f3a.", )"
                              R"("parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])";
    const std::span<const ChatMessage> all = probe;
    ToolRendering r;
    r.definitions = renders_with(tmpl, bos_token, eos_token, all.first(1), tools, {"probe_tool_7f3a", "Probe-description-7f3a."});
    r.calls = renders_with(tmpl, bos_token, eos_token, all.first(2), "", {"probe_call_7f3a", "probe-city-7f3a"});
    r.results = renders_with(tmpl, bos_token, eos_token, all, "", {"probe-result-7f3a"});
    return r;
}

}  // namespace clawbot::chat
