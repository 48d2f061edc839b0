#include "service/store/store_records.h"

namespace clawbot::service {

std::string_view role_name(MessageRole role) {
    switch (role) {
        case MessageRole::System: return "system";
        case MessageRole::User: return "user";
        case MessageRole::Assistant: return "assistant";
    }
    return "user";
}

std::optional<MessageRole> parse_role(std::string_view name) {
    if (name == "system") return MessageRole::System;
    if (name == "user") return MessageRole::User;
    if (name == "assistant") return MessageRole::Assistant;
    return std::nullopt;
}

}  // namespace clawbot::service
