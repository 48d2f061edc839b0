#pragma once
// Reading OpenAI's tool fields for the local model: "tools", "tool_choice",
// "parallel_tool_calls", and the tool parts of messages (an assistant's
// tool_calls, a tool result's tool_call_id and name). Checked here, so the
// model's template only ever sees well-formed tools.
#include <optional>

#include <nlohmann/json.hpp>

#include "service/api/json_body.h"
#include "service/provider/provider.h"

namespace clawbot::service {

struct ToolLimits {
    static constexpr size_t kMaxTools = 128;
    static constexpr size_t kMaxCallsPerMessage = 128;
    static constexpr size_t kMaxNameBytes = 64;  // OpenAI's: [a-zA-Z0-9_-]{1,64}
};

// Sets c.tools_json, c.tool_choice, c.tool_name and c.parallel_tool_calls.
// A forced choice ("required" or a named function) also needs every
// candidate tool's parameters inside the JSON Schema subset the grammar
// supports (json_schema_grammar.h): refused here if not, naming the tool.
std::optional<BadRequest> read_tools(const nlohmann::json& body, CompletionRequest& c);

// The tool fields of one message (its role already read into turn.role).
std::optional<BadRequest> read_message_tool_fields(const nlohmann::json& message, ChatTurn& turn);

}  // namespace clawbot::service
