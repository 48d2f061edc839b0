#pragma once
// The grammar (engine/sample/grammar.h) that forces a reply to be tool calls,
// for tool_choice "required" or a named function: written in the model's own
// syntax (tool_call_syntax.h), so a model trained on it stays on familiar
// ground, with each call's arguments constrained by that tool's JSON Schema
// (json_schema_grammar.h). What the grammar lets through parses with
// parse_tool_calls of the same syntax.
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "service/provider/tool_call_syntax.h"

namespace clawbot::service {

struct ToolSpec {
    std::string name;
    nlohmann::json parameters;  // a JSON Schema for the arguments object; null = any object
};

// Markers that are control tokens of the model's vocabulary can still be
// written: the grammar matches the marker's text, and the caller renders
// control tokens as text for such a request. `tools`: the ones the reply may
// call (one, for a named choice). `parallel`: one or more calls, else
// exactly one. Errors: no tools, or a parameters schema outside the
// supported subset (the message names the tool).
Result<std::string> forced_tool_call_grammar(ToolCallSyntax syntax, std::span<const ToolSpec> tools, bool parallel);

// Prefixes every rule name in grammar text (references and definitions,
// never text inside literals, classes or comments) so that several
// grammars can be joined into one: "root" becomes prefix + "root".
std::string prefix_grammar_rules(std::string_view grammar, std::string_view prefix);

}  // namespace clawbot::service
