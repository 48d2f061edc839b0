#pragma once
// A conversation with tools, made into what the model's template can render.
// What its template renders of tools (chat::ToolRendering) goes to it as
// data; the rest is written into messages, so nothing the client sent is
// dropped on the way: tools it cannot describe get a system message that
// lists them and shows the call syntax, calls it cannot print become the
// assistant's text in that syntax, results it cannot print become user
// turns.
#include <span>
#include <string>
#include <vector>

#include "engine/chat/chat_message.h"
#include "engine/chat/jinja_chat.h"
#include "service/provider/provider.h"
#include "service/provider/tool_call_syntax.h"

namespace clawbot::service {

struct ToolPromptInputs {
    std::span<const ChatTurn> turns;
    std::string_view tools_json;  // "" when the model is not shown tools (none, or tool_choice none)
    chat::ToolRendering rendering;
    ToolCallSyntax syntax = ToolCallSyntax::Generic;
};

struct ToolPrompt {
    std::vector<chat::ChatMessage> messages;
    std::string tools_json;  // for the template's `tools` variable ("" = not given)
};

ToolPrompt build_tool_prompt(const ToolPromptInputs& in);

// A call id as Mistral's templates require it (9 letters and digits): kept
// if it already is one, else derived from it, the same every time, so a
// call and its result still match.
std::string mistral_call_id(std::string_view id);

}  // namespace clawbot::service
