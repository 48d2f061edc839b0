#include "service/api/openai_tools.h"

#include <set>

#include "service/api/json_schema_grammar.h"

namespace clawbot::service {
namespace {

using nlohmann::json;

BadRequest bad(std::string message, std::string param) {
    return BadRequest{"invalid_request", std::move(message), std::move(param)};
}

bool valid_function_name(const std::string& name) {
    if (name.empty() || name.size() > ToolLimits::kMaxNameBytes) return false;
    for (const char ch : name) {
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
        if (!ok) return false;
    }
    return true;
}

// One {"type": "function", "function": {...}} entry, reduced to what the
// template is given: name, description, parameters (an object schema).
std::variant<json, BadRequest> read_tool(const json& tool, size_t index) {
    const std::string where = "tools[" + std::to_string(index) + "]";
    if (!tool.is_object()) return bad("'" + where + "' must be an object", "tools");
    if (tool.value("type", "") != "function") return bad("'" + where + ".type' must be \"function\"", "tools");
    auto fn = tool.find("function");
    if (fn == tool.end() || !fn->is_object()) return bad("'" + where + ".function' must be an object", "tools");
    auto name = fn->find("name");
    if (name == fn->end() || !name->is_string() || !valid_function_name(name->get<std::string>())) {
        return bad("'" + where + ".function.name' must be 1 to 64 letters, digits, '_' or '-'", "tools");
    }
    json function = {{"name", *name}};
    if (auto d = fn->find("description"); d != fn->end() && !d->is_null()) {
        if (!d->is_string()) return bad("'" + where + ".function.description' must be a string", "tools");
        function["description"] = *d;
    }
    if (auto params = fn->find("parameters"); params != fn->end() && !params->is_null()) {
        if (!params->is_object()) return bad("'" + where + ".function.parameters' must be a JSON Schema object", "tools");
        function["parameters"] = *params;
    } else {
        // OpenAI's default: a function that takes no arguments.
        function["parameters"] = {{"type", "object"}, {"properties", json::object()}};
    }
    return json{{"type", "function"}, {"function", std::move(function)}};
}

}  // namespace

std::optional<BadRequest> read_tools(const json& body, CompletionRequest& c) {
    json tools = json::array();
    std::set<std::string> names;
    if (auto it = body.find("tools"); it != body.end() && !it->is_null()) {
        if (!it->is_array()) return bad("'tools' must be an array", "tools");
        if (it->size() > ToolLimits::kMaxTools) return bad("'tools' may hold at most 128 functions", "tools");
        for (size_t i = 0; i < it->size(); ++i) {
            auto tool = read_tool((*it)[i], i);
            if (auto* e = std::get_if<BadRequest>(&tool)) return *e;
            const std::string name = std::get<json>(tool)["function"]["name"].get<std::string>();
            if (!names.insert(name).second) return bad("'tools' names the function '" + name + "' twice", "tools");
            tools.push_back(std::move(std::get<json>(tool)));
        }
    }
    if (auto it = body.find("parallel_tool_calls"); it != body.end() && !it->is_null()) {
        if (!it->is_boolean()) return bad("'parallel_tool_calls' must be a boolean", "parallel_tool_calls");
        c.parallel_tool_calls = it->get<bool>();
    }
    c.tool_choice = ToolChoice::Auto;
    if (auto it = body.find("tool_choice"); it != body.end() && !it->is_null()) {
        if (it->is_string() && *it == "none") {
            c.tool_choice = ToolChoice::None;
        } else if (it->is_string() && *it == "auto") {
            c.tool_choice = ToolChoice::Auto;
        } else if (it->is_string() && *it == "required") {
            c.tool_choice = ToolChoice::Required;
        } else if (it->is_object() && it->value("type", "") == "function" && it->contains("function") &&
                   (*it)["function"].is_object() && (*it)["function"].contains("name") &&
                   (*it)["function"]["name"].is_string()) {
            c.tool_choice = ToolChoice::Named;
            c.tool_name = (*it)["function"]["name"].get<std::string>();
            if (!names.contains(c.tool_name)) {
                return bad("'tool_choice' names '" + c.tool_name.substr(0, 64) + "', which is not in 'tools'", "tool_choice");
            }
        } else {
            return bad("'tool_choice' must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}",
                       "tool_choice");
        }
    }
    if (tools.empty()) {
        if (c.tool_choice == ToolChoice::Required) return bad("'tool_choice' is \"required\" but there are no 'tools'", "tool_choice");
        return std::nullopt;
    }
    // A forced call is written under a grammar: every tool it may call needs
    // a schema the grammar can follow, checked now rather than mid-reply.
    if (c.tool_choice == ToolChoice::Required || c.tool_choice == ToolChoice::Named) {
        for (const json& tool : tools) {
            const std::string& name = tool["function"]["name"].get_ref<const std::string&>();
            if (c.tool_choice == ToolChoice::Named && name != c.tool_name) continue;
            auto grammar = json_schema_grammar(tool["function"]["parameters"]);
            if (!grammar) return bad("'tools': the parameters of '" + name + "': " + grammar.error().message, "tools");
        }
    }
    c.tools_json = tools.dump(-1, ' ', false, json::error_handler_t::replace);
    return std::nullopt;
}

std::optional<BadRequest> read_message_tool_fields(const json& message, ChatTurn& turn) {
    if (turn.role == "tool") {
        if (auto id = message.find("tool_call_id"); id != message.end() && !id->is_null()) {
            if (!id->is_string()) return bad("a tool message's 'tool_call_id' must be a string", "messages");
            turn.tool_call_id = id->get<std::string>();
        }
        if (auto name = message.find("name"); name != message.end() && !name->is_null()) {
            if (!name->is_string()) return bad("a tool message's 'name' must be a string", "messages");
            turn.name = name->get<std::string>();
        }
        return std::nullopt;
    }
    auto calls = message.find("tool_calls");
    if (calls == message.end() || calls->is_null()) return std::nullopt;
    if (turn.role != "assistant") return bad("only assistant messages may hold 'tool_calls'", "messages");
    if (!calls->is_array()) return bad("'tool_calls' must be an array", "messages");
    if (calls->size() > ToolLimits::kMaxCallsPerMessage) return bad("a message may hold at most 128 tool calls", "messages");
    for (const json& call : *calls) {
        auto fn = call.is_object() ? call.find("function") : call.end();
        if (fn == call.end() || !fn->is_object() || !fn->contains("name") || !(*fn)["name"].is_string()) {
            return bad("each tool call needs a 'function' with a string 'name'", "messages");
        }
        TurnToolCall out;
        out.name = (*fn)["name"].get<std::string>();
        if (auto id = call.find("id"); id != call.end() && !id->is_null()) {
            if (!id->is_string()) return bad("a tool call's 'id' must be a string", "messages");
            out.id = id->get<std::string>();
        }
        // OpenAI sends the arguments as JSON text; an object is taken too.
        auto args = fn->find("arguments");
        if (args == fn->end() || args->is_null()) {
            out.arguments = "{}";
        } else if (args->is_string()) {
            out.arguments = args->get<std::string>();
        } else if (args->is_object()) {
            out.arguments = args->dump(-1, ' ', false, json::error_handler_t::replace);
        } else {
            return bad("a tool call's 'arguments' must be a JSON string", "messages");
        }
        turn.tool_calls.push_back(std::move(out));
    }
    return std::nullopt;
}

}  // namespace clawbot::service
