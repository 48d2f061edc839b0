#pragma once
// One turn of a conversation as the server hands it to a chat template.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clawbot::chat {

// A call an assistant turn made (OpenAI's message.tool_calls[i]).
struct ChatToolCall {
    std::string id;
    std::string name;
    std::string arguments;  // JSON object text, as the client sent it
};

struct ChatMessage {
    ChatMessage() = default;
    ChatMessage(std::string role_, std::string content_) : role(std::move(role_)), content(std::move(content_)) {}

    std::string role;  // "system", "user", "assistant" or "tool"
    std::string content;
    std::vector<ChatToolCall> tool_calls;  // assistant: the calls it made
    std::string tool_call_id;              // tool: the call this result answers
    std::string name;                      // tool: the function's name, if the client gave it
};

// The roles every template renders. A "tool" turn (a call's result) and an
// assistant turn with tool_calls are rendered only by a model's own
// template that knows tools (ChatTemplate::supports_tools).
inline bool is_supported_role(std::string_view role) {
    return role == "system" || role == "user" || role == "assistant";
}

inline bool is_tool_turn(const ChatMessage& m) { return m.role == "tool" || !m.tool_calls.empty(); }

}  // namespace clawbot::chat
