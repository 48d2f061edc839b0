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

// How an assistant message ended. Stop is also what every user and system
// message, and every message stored before finish reasons existed, reads as.
//   Stop          the model finished (or hit a stop sequence)
//   Length        max_tokens or the context ran out
//   ContentFilter an upstream (cloud mode) withheld the rest
//   Cancelled     the client stopped it (closed the connection) or the server shut down
//   Error         the model or the upstream failed after part of the answer was streamed
enum class MessageFinish { Stop, Length, ContentFilter, Cancelled, Error };

// "stop" | "length" | "content_filter" | "cancelled" | "error"
std::string_view finish_name(MessageFinish finish);
std::optional<MessageFinish> parse_finish(std::string_view name);

// A conversation title a client chose (rename): ASCII whitespace trimmed from
// both ends, then 1..kMaxTitleCharacters characters of valid UTF-8 with no
// control character (C0, DEL, C1). nullopt when the text is not one.
inline constexpr std::size_t kMaxTitleCharacters = 200;
std::optional<std::string> clean_conversation_title(std::string_view text);

// A conversation's system prompt a client sets (PATCH): valid UTF-8 of at
// most kMaxSystemPromptBytes bytes; empty clears it. Any character, line
// breaks and tabs included, is kept as sent.
inline constexpr std::size_t kMaxSystemPromptBytes = 32 * 1024;
bool valid_system_prompt(std::string_view text);

// Search text (the `q` of a conversation search): at most kMaxSearchBytes
// bytes of valid UTF-8 without NUL, matched case-insensitively for ASCII.
inline constexpr std::size_t kMaxSearchBytes = 200;
bool valid_search_text(std::string_view text);
// ASCII A-Z to a-z; every other byte as it is (how both stores compare).
std::string ascii_lower(std::string_view text);

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
    std::int64_t updated_at_ms = 0;  // moves forward with every message appended or deleted (not with an update)
};

struct MessageRecord {
    std::string id;  // "msg_" + 16 hex
    std::string conversation_id;
    // 1, 2, 3... within its conversation: one more than the last message
    // there is, so after delete_messages_from the seqs of the deleted
    // messages are given out again (both stores agree).
    std::int64_t seq = 0;
    MessageRole role = MessageRole::User;
    std::string content;
    TokenUsage usage;
    std::int64_t created_at_ms = 0;
    MessageFinish finish = MessageFinish::Stop;  // meaningful for assistant messages
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
