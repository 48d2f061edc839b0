#pragma once
// The Lua scripts of RedisStore. A script runs atomically in Redis and is
// written to the AOF as one MULTI/EXEC block of its effects, so a check and
// the writes that depend on it (ownership, then append) can neither
// interleave with another node's writes nor be half-replayed after a crash.
// Key layout: redis_keys.h.
#include "service/store/redis_connection.h"

namespace clawbot::service::redis_scripts {

// KEYS token, token_digest, tokens, tokens:active; ARGV id, name, admin, created_at_ms, digest hex.
const RedisScript& create_token();
// KEYS token, tokens:active; ARGV id, now_ms. Returns 1 when the token exists, else 0.
const RedisScript& revoke_token();
// KEYS token_digest; ARGV token key prefix. Returns nil or the kTokenFieldCount fields.
const RedisScript& find_token();
// KEYS tokens; ARGV token key prefix. Returns kTokenFieldCount fields per token, oldest first.
const RedisScript& list_tokens();

// KEYS owner token, conversation, owner's index; ARGV owner, title, system_prompt, now_ms, recency member.
const RedisScript& create_conversation();
// KEYS owner's index; ARGV upper bound ("+" or "(<member>"), count, conversation key prefix.
// Returns kConversationFieldCount fields per conversation, newest first.
const RedisScript& list_conversations();
// KEYS conversation, messages, owner's index; ARGV conversation id. Returns 1 or 0.
const RedisScript& delete_conversation();
// KEYS conversation; ARGV title given ('1'/'0'), title, system prompt given ('1'/'0'), system prompt.
// Returns nil, or title, system_prompt, created_at_ms, updated_at_ms.
const RedisScript& update_conversation();
// KEYS owner's index; ARGV upper bound ("+" or "(<member>"), batch size, conversation key prefix,
// messages key prefix, lowered search text, matches wanted. Returns {examined, last member
// examined, 1 when nothing older is left else 0, kConversationFieldCount fields per match}.
const RedisScript& search_conversations();

// KEYS conversation, messages, owner's index; ARGV now_ms, conversation id, n, n elements,
// n finishes ('' for stop). Returns the seq of the last element appended, or nil when the
// conversation does not exist.
const RedisScript& append_messages();
// KEYS conversation, messages. Returns {elements, {seq, finish, ...}} (only finishes other
// than stop are stored), or nil when the conversation does not exist.
const RedisScript& list_messages();
// KEYS conversation, messages, owner's index; ARGV message id, now_ms, conversation id. Returns nil
// when the conversation does not exist, 0 when it holds no such message, else how many messages
// (that one and every later one) were deleted.
const RedisScript& delete_messages_from();

}  // namespace clawbot::service::redis_scripts
