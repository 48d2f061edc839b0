#pragma once
// The Redis key layout of RedisStore. Every key starts with "clawbot:", so
// the store can share a database with other data. Times are unix
// milliseconds written as decimal text.
//
//   clawbot:schema                  string  "1": the layout version; a newer one is refused
//   clawbot:token:<tok_id>          hash    name, admin ("1"/"0"), created_at_ms, digest
//                                           (64 hex), revoked_at_ms (only once revoked)
//   clawbot:token_digest:<hex>      string  the tok_id whose SHA-256 digest this is
//   clawbot:tokens                  zset    tok_id scored by created_at_ms (ties by id):
//                                           list_tokens' order
//   clawbot:tokens:active           set     tok_ids not revoked: count_active_tokens
//   clawbot:conv:<tok_id>:<conv_id> hash    owner, title, system_prompt, created_at_ms,
//                                           updated_at_ms, and finish:<seq> = "length" |
//                                           "content_filter" | "cancelled" | "error" for each
//                                           message that did not end with "stop"
//   clawbot:msgs:<tok_id>:<conv_id> list    the messages in seq order (redis_codec.h); a
//                                           message's seq is its position + 1, since messages
//                                           are only appended, and deleted only from one of
//                                           them to the end (LTRIM) or all together. After
//                                           such a cut the next message appended takes the
//                                           first deleted seq again, as in SQLite (MAX(seq)
//                                           + 1); the cut deletes the finish:<seq> fields of
//                                           the deleted seqs in the same script
//   clawbot:convs:<tok_id>          zset    every member scored 0, member
//                                           "<updated_at_ms, 20 digits>:<conv_id>"
//
// Conversation keys carry their owner, so another owner's conversation id
// names a key that does not exist: "not found" with no separate ownership
// check. Token ids never hold ':', so the keys cannot collide.
//
// The owner's index orders members byte-wise (ZREVRANGEBYLEX); with the
// time zero-padded to a fixed width, that order is exactly
// (updated_at_ms, id), and a page after a cursor is one range query from
// "(<cursor member>" down: the same keyset paging as SQLite's row-value
// comparison, ties included.
//
// The finish:<seq> fields came without a layout version change: a binary
// that does not know them ignores them (its messages read as "stop"), and
// one that does reads their absence as "stop".
#include <cstdint>
#include <string>
#include <string_view>

#include "service/auth/access_token.h"

namespace clawbot::service::redis_keys {

inline constexpr std::string_view kPrefix = "clawbot:";
inline constexpr std::string_view kSchemaVersion = "1";

std::string schema();
std::string token_prefix();  // "clawbot:token:" (scripts append ids)
std::string token(std::string_view token_id);
std::string token_digest(const TokenDigest& digest);
std::string tokens_by_creation();
std::string active_tokens();

std::string conversation_prefix(std::string_view owner_token_id);  // "clawbot:conv:<tok_id>:"
std::string conversation(std::string_view owner_token_id, std::string_view conversation_id);
std::string messages(std::string_view owner_token_id, std::string_view conversation_id);
std::string conversations_of(std::string_view owner_token_id);
// The member of `conversations_of` for a conversation updated at `updated_at_ms`.
std::string recency_member(std::int64_t updated_at_ms, std::string_view conversation_id);

std::string digest_hex(const TokenDigest& digest);

}  // namespace clawbot::service::redis_keys
