#pragma once
// The values a ConversationStore hands out. Plain data, no behaviour; times
// are unix milliseconds.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/auth/token_record.h"

namespace clawbot::service {

enum class MessageRole { System, User, Assistant };

std::string_view role_name(MessageRole role);  // "system" | "user" | "assistant"
std::optional<MessageRole> parse_role(std::string_view name);

struct TokenUsage {
    std::int64_t prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
    std::int64_t cached_tokens = 0;
};

struct ConversationRecord {
    std::string id;  // "conv_" + 16 hex
    std::string owner_token_id;
    std::string title;
    std::string system_prompt;
    std::int64_t created_at_ms = 0;
    std::int64_t updated_at_ms = 0;  // moves forward with every message
};

struct MessageRecord {
    std::string id;  // "msg_" + 16 hex
    std::string conversation_id;
    std::int64_t seq = 0;  // 1, 2, 3... within its conversation
    MessageRole role = MessageRole::User;
    std::string content;
    TokenUsage usage;
    std::int64_t created_at_ms = 0;
};

// The plaintext is returned exactly once, here; the store keeps its digest.
struct CreatedToken {
    TokenRecord record;
    std::string plaintext;
};

// A user turn and the assistant's answer, stored in one transaction.
struct Exchange {
    MessageRecord user;
    MessageRecord assistant;
};

}  // namespace clawbot::service
