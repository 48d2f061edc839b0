#pragma once
// How a model family writes tool calls in its reply, and reading them back
// into OpenAI's shape. The syntax is told from the model's chat template
// (the markers its tool-call branch prints); the parsers work on the reply's
// text, with the model's control tokens (<|python_tag|>, [TOOL_CALLS], ...)
// rendered as their text.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clawbot::service {

enum class ToolCallSyntax {
    // Qwen 2.5/3, Hermes, SmolLM3: <tool_call>\n{"name": N, "arguments": {..}}\n</tool_call>,
    // repeated for parallel calls; Qwen3.5 / Qwen3-Coder write the inside as
    // <function=N>\n<parameter=K>\nV\n</parameter>\n</function>.
    Hermes,
    // Llama 3.x: the whole reply is {"name": N, "parameters": {..}} (also
    // with "type": "function", or "arguments"), optionally after <|python_tag|>;
    // several calls are separated by ';' or newlines.
    Llama3,
    // Mistral: [TOOL_CALLS][{"name": N, "arguments": {..}, "id": "abcDEF123"}, ..]
    // (v11+ tokenizers: [TOOL_CALLS]N[ARGS]{..}, repeated).
    Mistral,
    // gpt-oss (harmony): <|channel|>commentary to=functions.N <|constrain|>json<|message|>{..}
    // (the call ends at <|call|>, an end-of-generation token; "to=" may
    // also come before <|channel|>). Reasoning in <|channel|>analysis is not
    // a call.
    GptOss,
    // DeepSeek V3/V3.1: <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>N<｜tool▁sep｜>{..}<｜tool▁call▁end｜>..<｜tool▁calls▁end｜>
    DeepSeekV3,
    // DeepSeek R1: ..<｜tool▁call▁begin｜>function<｜tool▁sep｜>N\n```json\n{..}\n```<｜tool▁call▁end｜>..
    DeepSeekR1,
    // Granite 3.x, Phi-4-mini: <|tool_call|>[{"name": N, "arguments": {..}}, ..]
    // (Phi-4 closes with <|/tool_call|>).
    Granite,
    // Gemma 4: <|tool_call>call:N{key:<|"|>text<|"|>,num:1}<tool_call|>
    Gemma4,
    // A template that knows no tools: the tools are described in a system
    // message that asks for a reply of exactly
    // {"tool_calls": [{"name": N, "arguments": {..}}, ..]}; a reply that is
    // {"tool_call": {"name", "arguments"}} is read too.
    Generic,
};

// Every syntax, in declaration order (tests and the fuzzer walk them all).
inline constexpr ToolCallSyntax kAllToolCallSyntaxes[] = {
    ToolCallSyntax::Hermes,     ToolCallSyntax::Llama3,     ToolCallSyntax::Mistral,
    ToolCallSyntax::GptOss,     ToolCallSyntax::DeepSeekV3, ToolCallSyntax::DeepSeekR1,
    ToolCallSyntax::Granite,    ToolCallSyntax::Gemma4,     ToolCallSyntax::Generic,
};

// Which syntax a chat template's tool branch writes: from the markers in its
// source; Generic when it has none (or the template is absent).
ToolCallSyntax tool_call_syntax_of(std::string_view template_source);
std::string_view syntax_name(ToolCallSyntax syntax);

struct ParsedToolCall {
    std::string name;
    std::string arguments;  // a JSON object, compact (nlohmann dump())
    std::string id;         // when the model wrote one (Mistral); else empty
};

// Where the first tool call of a reply begins. `complete`: the whole start
// marker is there; otherwise `text` ends with what may still become one
// (the caller holds that tail back until more text decides it). Syntaxes
// whose call is a bare JSON object (Llama3, Generic) start only at the
// beginning of the reply, after whitespace.
struct ToolCallStart {
    size_t offset = 0;
    bool complete = false;
};
std::optional<ToolCallStart> find_tool_call_start(ToolCallSyntax syntax, std::string_view reply);

// The calls in `region`: the reply from a complete start (as
// find_tool_call_start found it) to its end. nullopt when the region does
// not hold well-formed calls (the caller then keeps it as content): a name
// missing or empty, arguments that are not a JSON object (a JSON string
// holding one is accepted and parsed), a marker left open. Text after the
// last call is ignored if it is only whitespace or closing markers.
std::optional<std::vector<ParsedToolCall>> parse_tool_calls(ToolCallSyntax syntax, std::string_view region);

}  // namespace clawbot::service
