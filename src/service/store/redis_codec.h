#pragma once
// How RedisStore's records are written into Redis values and read back.
//
// A message is one list element: six header lines, then the content as raw
// bytes, so any content (NUL, invalid UTF-8, newlines) round-trips exactly:
//   <msg_id>\n<role>\n<created_at_ms>\n<prompt_tokens>\n<completion_tokens>\n<cached_tokens>\n<content>
// Its conversation and seq come from the list's key and position. How an
// assistant message ended, when not "stop", is the field finish:<seq> of its
// conversation's hash (redis_scripts.cpp), so elements written before finish
// reasons existed read unchanged, as stop.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "service/auth/token_record.h"
#include "service/store/redis_value.h"
#include "service/store/store_records.h"

namespace clawbot::service {

std::string encode_message(const MessageRecord& message);
Result<MessageRecord> decode_message(std::string_view element, std::string_view conversation_id, std::int64_t seq);

// The token hash fields the scripts return, in this order after the id.
inline constexpr std::size_t kTokenFieldCount = 6;  // id, name, admin, created_at_ms, digest, revoked_at_ms
Result<StoredToken> decode_token(std::span<const RedisValue> fields);

// id, title, system_prompt, created_at_ms, updated_at_ms
inline constexpr std::size_t kConversationFieldCount = 5;
Result<ConversationRecord> decode_conversation(std::string_view owner_token_id, std::span<const RedisValue> fields);

}  // namespace clawbot::service
