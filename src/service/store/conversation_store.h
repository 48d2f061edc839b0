#pragma once
// Where tokens, conversations and messages live. An interface because a Redis
// implementation follows the SQLite one (sqlite_store.h).
//
// Contract for every implementation:
// - Every method is thread-safe and returns errors as values.
// - A method that succeeds has made its change durable before it returns.
// - Ownership: a conversation belongs to the token that created it. A
//   conversation id of another owner behaves exactly like a missing one
//   (nullopt / false), so an id never reveals that it exists.
// - `Result<std::optional<T>>`: nullopt is "not found" (HTTP 404); an error
//   is a storage failure (HTTP 500/503).
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "service/auth/token_verifier.h"
#include "service/store/page_cursor.h"
#include "service/store/store_records.h"

namespace clawbot::service {

inline constexpr int kMaxConversationPageSize = 100;

class ConversationStore : public TokenLookup {
public:
    // --- access tokens ---
    virtual Result<CreatedToken> create_token(std::string_view name, bool admin) = 0;
    // Oldest first, revoked ones included (marked revoked).
    virtual Result<std::vector<TokenRecord>> list_tokens() = 0;
    // The same with each token's digest: what the server's in-memory token
    // cache (auth/token_cache.h) reloads.
    virtual Result<std::vector<StoredToken>> list_stored_tokens() = 0;
    // true when the id exists (revoking twice is fine and keeps the first time).
    virtual Result<bool> revoke_token(std::string_view token_id) = 0;
    // Tokens not revoked; `serve` refuses a public address while this is 0.
    virtual Result<std::int64_t> count_active_tokens() = 0;
    // find_token(digest), from TokenLookup: revoked tokens come back with
    // `revoked` set; verify_access_token() rejects them.

    // --- conversations ---
    virtual Result<ConversationRecord> create_conversation(std::string_view owner_token_id,
                                                           std::string_view title,
                                                           std::string_view system_prompt) = 0;
    virtual Result<std::optional<ConversationRecord>> get_conversation(
        std::string_view owner_token_id, std::string_view conversation_id) = 0;
    // Newest first by (updated_at, id). `limit` is clamped to
    // 1..kMaxConversationPageSize; `after` is the previous page's `next`.
    virtual Result<ConversationPage> list_conversations(std::string_view owner_token_id, int limit,
                                                        const std::optional<PageCursor>& after) = 0;
    // Conversations whose title or any message's content contains `query`,
    // compared case-insensitively for ASCII letters (other bytes exactly), in
    // list_conversations' order and paging: `after` is the previous page's
    // `next` of the same search. `query` must be valid_search_text() (an
    // error otherwise); an empty one matches every conversation. Cost: it reads the owner's conversations
    // newest first (titles, then their messages) until a page of matches is
    // found or none are left, so a search that matches little reads
    // everything the owner has older than the cursor.
    virtual Result<ConversationPage> search_conversations(std::string_view owner_token_id,
                                                          std::string_view query, int limit,
                                                          const std::optional<PageCursor>& after) = 0;
    // Sets the title and/or the system prompt (a nullopt one stays as it is;
    // both nullopt reads the conversation) in one atomic change, and returns
    // the conversation as it is then; nullopt when not found. `title` must
    // already be clean_conversation_title()'s output and `system_prompt`
    // valid_system_prompt() (empty clears it): an error otherwise, and
    // nothing changes. It does not move updated_at, so it does not reorder
    // the list.
    virtual Result<std::optional<ConversationRecord>> update_conversation(
        std::string_view owner_token_id, std::string_view conversation_id, std::optional<std::string_view> title,
        std::optional<std::string_view> system_prompt) = 0;
    // update_conversation of the title alone.
    Result<std::optional<ConversationRecord>> rename_conversation(std::string_view owner_token_id,
                                                                  std::string_view conversation_id,
                                                                  std::string_view title) {
        return update_conversation(owner_token_id, conversation_id, title, std::nullopt);
    }
    // Deletes the conversation and its messages; false when not found.
    virtual Result<bool> delete_conversation(std::string_view owner_token_id,
                                             std::string_view conversation_id) = 0;

    // --- messages ---
    // Appends with the next seq and moves the conversation's updated_at; the
    // message's finish is Stop.
    virtual Result<std::optional<MessageRecord>> append_message(
        std::string_view owner_token_id, std::string_view conversation_id, MessageRole role,
        std::string_view content, const TokenUsage& usage) = 0;
    // The user message (zero usage) and the assistant answer (`usage`, and
    // how it ended: `finish`) in one transaction: either both are stored or
    // neither is.
    virtual Result<std::optional<Exchange>> append_exchange(
        std::string_view owner_token_id, std::string_view conversation_id,
        std::string_view user_content, std::string_view assistant_content,
        const TokenUsage& usage, MessageFinish finish) = 0;
    // In seq order, each with its finish (Stop when none was stored).
    virtual Result<std::optional<std::vector<MessageRecord>>> list_messages(
        std::string_view owner_token_id, std::string_view conversation_id) = 0;
    // Deletes the message `message_id` of the conversation and every later
    // one (higher seq), atomically, and moves the conversation's updated_at
    // (never backwards); returns how many were deleted (at least 1). nullopt
    // when the conversation is not found (another owner's included) or holds
    // no such message; nothing changes then. What the deleted messages had
    // (finish reasons included) goes with them, and the next append takes the
    // seq of the first one deleted: seqs stay 1..n with no gap.
    virtual Result<std::optional<std::int64_t>> delete_messages_from(std::string_view owner_token_id,
                                                                     std::string_view conversation_id,
                                                                     std::string_view message_id) = 0;

    // --- health ---
    // true when the store answers a query (for /readyz).
    virtual Result<bool> ping() = 0;
};

}  // namespace clawbot::service
