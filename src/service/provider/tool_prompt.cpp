#include "service/provider/tool_prompt.h"

#include <algorithm>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace clawbot::service {
namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json arguments_json(const std::string& text) {
    json args = json::parse(text, nullptr, false);
    return args.is_discarded() ? json(text) : args;
}

// Calls as the assistant's own text, for a template that does not print
// them: in the family's syntax where it is a list of JSON calls, else in
// the generic one the tool description asks for.
std::string calls_as_text(ToolCallSyntax syntax, std::span<const TurnToolCall> calls) {
    json list = json::array();
    for (const TurnToolCall& c : calls) list.push_back({{"name", c.name}, {"arguments", arguments_json(c.arguments)}});
    if (syntax == ToolCallSyntax::Granite) return "<|tool_call|>" + dump(list);
    return dump(json{{"tool_calls", list}});
}

// How the tool description shows a call, in the syntax the reply is read in.
std::string call_example(ToolCallSyntax syntax) {
    switch (syntax) {
        case ToolCallSyntax::DeepSeekV3:
            return "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>TOOL_NAME<｜tool▁sep｜>{\"argument\": \"value\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
        case ToolCallSyntax::DeepSeekR1:
            return "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>TOOL_NAME\n```json\n{\"argument\": \"value\"}\n```"
                   "<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
        case ToolCallSyntax::Granite: return "<|tool_call|>[{\"name\": \"TOOL_NAME\", \"arguments\": {\"argument\": \"value\"}}]";
        case ToolCallSyntax::Hermes:
            return "<tool_call>\n{\"name\": \"TOOL_NAME\", \"arguments\": {\"argument\": \"value\"}}\n</tool_call>";
        case ToolCallSyntax::Llama3: return "{\"name\": \"TOOL_NAME\", \"parameters\": {\"argument\": \"value\"}}";
        case ToolCallSyntax::Mistral: return "[TOOL_CALLS][{\"name\": \"TOOL_NAME\", \"arguments\": {\"argument\": \"value\"}}]";
        default: return "{\"tool_calls\": [{\"name\": \"TOOL_NAME\", \"arguments\": {\"argument\": \"value\"}}]}";
    }
}

std::string tools_description(std::string_view tools_json, ToolCallSyntax syntax) {
    const json tools = json::parse(tools_json, nullptr, false);
    std::string text = "You can call these tools (JSON Schema for each one's arguments):\n";
    text += tools.is_discarded() ? std::string(tools_json) : tools.dump(2, ' ', false, json::error_handler_t::replace);
    text += "\n\nTo call tools, reply with only this, and nothing else:\n" + call_example(syntax) +
            "\nwith one entry per call. Otherwise, answer normally.";
    return text;
}

}  // namespace

std::string mistral_call_id(std::string_view id) {
    const bool fits = id.size() == 9 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
    if (fits) return std::string(id);
    static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (const char c : id) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
    std::string out;
    for (int i = 0; i < 9; ++i, h /= kAlphabet.size()) out += kAlphabet[h % kAlphabet.size()];
    return out;
}

ToolPrompt build_tool_prompt(const ToolPromptInputs& in) {
    ToolPrompt out;
    const bool mistral = in.syntax == ToolCallSyntax::Mistral;
    const auto call_id = [&](const std::string& id) { return mistral ? mistral_call_id(id) : id; };
    for (const ChatTurn& t : in.turns) {
        chat::ChatMessage m(t.role, t.content);
        if (!t.tool_calls.empty()) {
            if (in.rendering.calls) {
                for (const TurnToolCall& c : t.tool_calls) m.tool_calls.push_back({call_id(c.id), c.name, c.arguments});
            } else {
                m.content = (m.content.empty() ? "" : m.content + "\n") + calls_as_text(in.syntax, t.tool_calls);
            }
        }
        if (t.role == "tool") {
            if (in.rendering.results) {
                m.tool_call_id = call_id(t.tool_call_id);
                m.name = t.name;
            } else {
                m.role = "user";
                m.content = "The result of the tool call" + (t.name.empty() ? std::string() : " " + t.name) + ":\n" + t.content;
            }
        }
        out.messages.push_back(std::move(m));
    }
    if (in.tools_json.empty()) return out;
    if (in.rendering.definitions) {
        out.tools_json = std::string(in.tools_json);
        return out;
    }
    std::string description = tools_description(in.tools_json, in.syntax);
    if (!out.messages.empty() && out.messages.front().role == "system") {
        chat::ChatMessage& system = out.messages.front();
        system.content = system.content.empty() ? description : system.content + "\n\n" + description;
    } else {
        out.messages.insert(out.messages.begin(), chat::ChatMessage("system", std::move(description)));
    }
    return out;
}

}  // namespace clawbot::service
