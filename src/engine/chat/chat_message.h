#pragma once
// One turn of a conversation as the server hands it to a chat template.
#include <string>
#include <string_view>

namespace clawbot::chat {

struct ChatMessage {
    std::string role;  // "system", "user" or "assistant"
    std::string content;
};

// The roles a conversation may hold. Tool roles are not supported yet, so a
// template never sees a role it was not tested with.
inline bool is_supported_role(std::string_view role) {
    return role == "system" || role == "user" || role == "assistant";
}

}  // namespace clawbot::chat
