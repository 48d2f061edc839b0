// Forced tool-call grammars: one arguments grammar per tool (from its JSON
// Schema, rules prefixed "tN-" so they can live side by side), wrapped in
// the text the model's family writes around a call. Whitespace outside the
// arguments is fixed to the one spelling the family's template uses.
#include "service/provider/tool_call_grammar.h"

#include <algorithm>
#include <string_view>

#include "service/api/json_schema_grammar.h"

namespace clawbot::service {

namespace {

using nlohmann::json;

// GrammarLimits::kMaxTextBytes (engine/sample/grammar.h): a longer grammar
// would be refused there, with a message that names no tool.
constexpr size_t kMaxGrammarBytes = 1 << 20;

// What grammar_parser.cpp accepts in a rule name.
bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// The end of a "literal" or [class] that starts at `open`: past the closing
// delimiter, escapes skipped. Both end at a line break too (the grammar
// parser refuses that), so a stray quote cannot hide the rest of the text.
size_t delimited_end(std::string_view g, size_t open, char close) {
    size_t i = open + 1;
    while (i < g.size() && g[i] != close && g[i] != '\n') i += g[i] == '\\' ? 2 : 1;
    return std::min(i + 1, g.size());
}

size_t until_char(std::string_view g, size_t from, char stop) {
    const size_t at = g.find(stop, from);
    return at == std::string_view::npos ? g.size() : at + 1;
}

// A grammar literal matching exactly these bytes.
std::string literal(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c < 0x20 || c == 0x7F) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

// The name as a JSON string, quotes included ("get_weather").
std::string json_name(const std::string& name) {
    return json(name).dump(-1, ' ', false, json::error_handler_t::replace);
}

// Syntaxes that write the name bare read it back up to whitespace or the
// next marker, so such names cannot be written there.
bool writes_bare_name(ToolCallSyntax syntax) {
    return syntax == ToolCallSyntax::GptOss || syntax == ToolCallSyntax::DeepSeekV3 ||
           syntax == ToolCallSyntax::DeepSeekR1 || syntax == ToolCallSyntax::Gemma4;
}

// A name that is not UTF-8 fits neither a grammar literal nor a JSON string.
bool valid_utf8(const std::string& name) {
    try {
        (void)json(name).dump();
        return true;
    } catch (const json::type_error&) {
        return false;
    }
}

bool bare_name_ok(std::string_view name) {
    for (const char c : name) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '<' || c == '{' || c == '`') return false;
    }
    return true;
}

// The schema the arguments grammar is built from: always an object schema
// (arguments are an object in every syntax). A null, `true` or empty
// schema means any object; a missing "type" is read as "object".
Result<json> arguments_schema(const json& parameters) {
    if (parameters.is_null() || (parameters.is_boolean() && parameters.get<bool>()) ||
        (parameters.is_object() && parameters.empty())) {
        return json{{"type", "object"}};
    }
    if (!parameters.is_object()) return parameters;  // json_schema_grammar says why not
    json schema = parameters;
    const auto type = schema.find("type");
    if (type == schema.end()) {
        static constexpr const char* kAlone[] = {"$ref", "anyOf", "oneOf", "allOf", "enum", "const"};
        bool combined = false;
        for (const char* key : kAlone) combined = combined || schema.contains(key);
        if (!combined) schema["type"] = "object";
        return schema;
    }
    const bool allows_object = (type->is_string() && *type == "object") ||
                               (type->is_array() && std::find(type->begin(), type->end(), json("object")) != type->end());
    if (!allows_object) return make_error("the parameters schema does not describe an object");
    *type = "object";
    return schema;
}

// How one syntax lays calls out: what comes before the first, between two,
// and after the last.
struct Layout {
    std::string open, separator, close;
    bool parallel_allowed = true;
};

Layout layout_of(ToolCallSyntax syntax) {
    switch (syntax) {
        case ToolCallSyntax::Hermes: return {"", "\n", "", true};
        case ToolCallSyntax::Llama3: return {"", "; ", "", true};
        case ToolCallSyntax::Mistral: return {"[TOOL_CALLS][", ", ", "]", true};
        // <|call|> ends the generation: harmony has one call per reply.
        case ToolCallSyntax::GptOss: return {"", "", "", false};
        case ToolCallSyntax::DeepSeekV3: return {"<｜tool▁calls▁begin｜>", "", "<｜tool▁calls▁end｜>", true};
        case ToolCallSyntax::DeepSeekR1: return {"<｜tool▁calls▁begin｜>", "\n", "<｜tool▁calls▁end｜>", true};
        case ToolCallSyntax::Granite: return {"<|tool_call|>[", ", ", "]", true};
        case ToolCallSyntax::Gemma4: return {"", "", "", true};
        case ToolCallSyntax::Generic: return {"{\"tool_calls\": [", ", ", "]}", true};
    }
    return {};
}

// The body of one call's rule; `args` is the rule of its arguments.
std::string call_body(ToolCallSyntax syntax, const std::string& name, const std::string& args) {
    const std::string object_head = "{\"name\": " + json_name(name) + ", \"arguments\": ";
    const auto around = [&](const std::string& before, const std::string& after) {
        return literal(before) + " " + args + (after.empty() ? "" : " " + literal(after));
    };
    switch (syntax) {
        case ToolCallSyntax::Hermes: return around("<tool_call>\n" + object_head, "}\n</tool_call>");
        case ToolCallSyntax::Llama3: return around("{\"name\": " + json_name(name) + ", \"parameters\": ", "}");
        case ToolCallSyntax::Mistral:
            // Mistral's template requires nine alphanumerics as the id.
            return around(object_head, ", \"id\": \"") + " [a-zA-Z0-9]{9} " + literal("\"}");
        case ToolCallSyntax::GptOss:
            return around("<|channel|>commentary to=functions." + name + " <|constrain|>json<|message|>", "");
        case ToolCallSyntax::DeepSeekV3:
            return around("<｜tool▁call▁begin｜>" + name + "<｜tool▁sep｜>", "<｜tool▁call▁end｜>");
        case ToolCallSyntax::DeepSeekR1:
            return around("<｜tool▁call▁begin｜>function<｜tool▁sep｜>" + name + "\n```json\n", "\n```<｜tool▁call▁end｜>");
        case ToolCallSyntax::Granite:
        case ToolCallSyntax::Generic: return around(object_head, "}");
        case ToolCallSyntax::Gemma4:
            // Arguments in JSON rather than Gemma's own notation: the schema
            // grammar writes JSON, and the Gemma reader takes both.
            return around("<|tool_call>call:" + name, "<tool_call|>");
    }
    return "\"\"";
}

std::string sequence(const Layout& layout, bool parallel) {
    std::string body;
    if (!layout.open.empty()) body += literal(layout.open) + " ";
    body += "call";
    if (parallel && layout.parallel_allowed) {
        body += layout.separator.empty() ? " call*" : " (" + literal(layout.separator) + " call)*";
    }
    if (!layout.close.empty()) body += " " + literal(layout.close);
    return body;
}

}  // namespace

std::string prefix_grammar_rules(std::string_view grammar, std::string_view prefix) {
    std::string out;
    out.reserve(grammar.size() + grammar.size() / 8);
    size_t i = 0;
    while (i < grammar.size()) {
        const char c = grammar[i];
        size_t end = i + 1;
        if (c == '"' || c == '[') {
            end = delimited_end(grammar, i, c == '"' ? '"' : ']');
        } else if (c == '#') {
            end = until_char(grammar, i, '\n');
        } else if (c == '{') {  // the counts of x{m,n}
            end = until_char(grammar, i, '}');
        } else if (is_name_char(c)) {
            while (end < grammar.size() && is_name_char(grammar[end])) ++end;
            out += prefix;
        }
        out += grammar.substr(i, end - i);
        i = end;
    }
    return out;
}

Result<std::string> forced_tool_call_grammar(ToolCallSyntax syntax, std::span<const ToolSpec> tools, bool parallel) {
    if (tools.empty()) return make_error("no tools to call");
    std::string rules;
    std::string calls = "call ::=";
    for (size_t i = 0; i < tools.size(); ++i) {
        const ToolSpec& tool = tools[i];
        const std::string who = "tool '" + tool.name + "'";
        if (tool.name.empty()) return make_error("a tool has an empty name");
        if (!valid_utf8(tool.name)) return make_error("a tool's name is not UTF-8");
        if (writes_bare_name(syntax) && !bare_name_ok(tool.name)) {
            return make_error(who + ": its name cannot be written in " + std::string(syntax_name(syntax)) +
                              " tool calls (whitespace, '<', '{' or '`')");
        }
        auto schema = arguments_schema(tool.parameters);
        if (!schema) return make_error(who + ": " + schema.error().message);
        auto args = json_schema_grammar(*schema);
        if (!args) return make_error(who + ": " + args.error().message);
        const std::string prefix = "t" + std::to_string(i) + "-";
        const std::string call_rule = "call-" + std::to_string(i);
        rules += prefix_grammar_rules(*args, prefix);
        if (!rules.empty() && rules.back() != '\n') rules += '\n';
        rules += call_rule + " ::= " + call_body(syntax, tool.name, prefix + "root") + "\n";
        calls += (i ? " | " : " ") + call_rule;
        if (rules.size() > kMaxGrammarBytes) {
            return make_error("the tools' parameters schemas make a grammar over " +
                              std::to_string(kMaxGrammarBytes >> 20) + " MiB (at " + who + ")");
        }
    }
    return "root ::= " + sequence(layout_of(syntax), parallel) + "\n" + calls + "\n" + rules;
}

}  // namespace clawbot::service
