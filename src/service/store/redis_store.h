#pragma once
// ConversationStore on Redis (STORE=redis://...), so that several clawbot
// nodes share tokens and conversations. Key layout: redis_keys.h; the
// scripts that keep each change atomic: redis_scripts.h.
//
// Durability. A call returns once Redis has answered the write, so a
// message is acknowledged only as durably as Redis's own configuration
// makes it. For an acknowledged message to survive a crash of Redis (or of
// its machine), Redis must run with
//     appendonly yes
//     appendfsync always
// (with `everysec` up to a second of acknowledged writes can be lost; with
// the AOF off, everything since the last RDB snapshot). Redis 7.0, Debian
// 12's, has no WAITAOF, so the store cannot wait for the fsync itself.
// open() reads these two settings with CONFIG GET and, when they are weaker
// or cannot be read (CONFIG disabled), sets durability_warning() for the
// server to log. A replica is not a durability guarantee here: writes go to
// the one primary the URL names.
//
// Availability. Every command has a timeout (RedisStoreOptions; the server
// sets the command timeout to STORE_TIMEOUT_MS), so with Redis hung a call
// fails within connect + command timeout (at once while the reconnect
// backoff runs), and with Redis down at once (refused), and returns
// an error, which the API answers with 503. An error means "not
// acknowledged", not "not written": a write whose reply timed out may still
// be applied by a Redis that was only slow. Connections are pooled and
// reopened by themselves when Redis comes back (redis_pool.h). There is no
// fallback to a local store.
//
// Topology. One Redis primary (standalone, or the address a Sentinel or a
// managed service keeps pointing at the primary). Redis Cluster is not
// supported: the scripts touch keys of several hash slots.
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "service/store/conversation_store.h"
#include "service/store/redis_pool.h"
#include "service/store/redis_url.h"

namespace clawbot::service {

struct RedisStoreOptions {
    RedisTimeouts timeouts;
    // The server sizes this for its store executors, request prep and token
    // cache (store_factory.cpp); the CLI makes one call at a time.
    std::size_t connections = 5;
};

class RedisStore final : public ConversationStore {
public:
    // Connects once to check the URL, the password, the layout version and
    // the AOF settings; fails when Redis cannot be reached.
    static Result<std::unique_ptr<RedisStore>> open(const RedisEndpoint& endpoint,
                                                    const RedisStoreOptions& options = {});

    // Set when Redis's configuration may lose acknowledged writes in a crash.
    const std::optional<std::string>& durability_warning() const { return durability_warning_; }
    // "Redis at redis://***@host:port/db": safe to log.
    std::string description() const;

    Result<CreatedToken> create_token(std::string_view name, bool admin) override;
    Result<std::vector<TokenRecord>> list_tokens() override;
    Result<std::vector<StoredToken>> list_stored_tokens() override;
    Result<bool> revoke_token(std::string_view token_id) override;
    Result<std::int64_t> count_active_tokens() override;
    Result<std::optional<StoredToken>> find_token(const TokenDigest& digest) override;

    Result<ConversationRecord> create_conversation(std::string_view owner_token_id,
                                                   std::string_view title,
                                                   std::string_view system_prompt) override;
    Result<std::optional<ConversationRecord>> get_conversation(
        std::string_view owner_token_id, std::string_view conversation_id) override;
    Result<ConversationPage> list_conversations(std::string_view owner_token_id, int limit,
                                                const std::optional<PageCursor>& after) override;
    Result<ConversationPage> search_conversations(std::string_view owner_token_id, std::string_view query,
                                                  int limit, const std::optional<PageCursor>& after) override;
    Result<std::optional<ConversationRecord>> update_conversation(std::string_view owner_token_id,
                                                                  std::string_view conversation_id,
                                                                  std::optional<std::string_view> title,
                                                                  std::optional<std::string_view> system_prompt) override;
    Result<bool> delete_conversation(std::string_view owner_token_id,
                                     std::string_view conversation_id) override;

    Result<std::optional<MessageRecord>> append_message(std::string_view owner_token_id,
                                                        std::string_view conversation_id,
                                                        MessageRole role, std::string_view content,
                                                        const TokenUsage& usage) override;
    Result<std::optional<Exchange>> append_exchange(std::string_view owner_token_id,
                                                    std::string_view conversation_id,
                                                    std::string_view user_content,
                                                    std::string_view assistant_content,
                                                    const TokenUsage& usage, MessageFinish finish) override;
    Result<std::optional<std::vector<MessageRecord>>> list_messages(
        std::string_view owner_token_id, std::string_view conversation_id) override;
    Result<std::optional<std::int64_t>> delete_messages_from(std::string_view owner_token_id,
                                                             std::string_view conversation_id,
                                                             std::string_view message_id) override;

    Result<bool> ping() override;

private:
    RedisStore(const RedisEndpoint& endpoint, const RedisStoreOptions& options)
        : pool_(endpoint, options.timeouts, options.connections) {}

    // Appends `messages` (seq filled in on success) to a conversation of
    // `owner_token_id`; false when there is no such conversation.
    Result<bool> append(std::string_view owner_token_id, std::string_view conversation_id,
                        std::span<MessageRecord> messages, std::int64_t now_ms);

    RedisPool pool_;
    std::optional<std::string> durability_warning_;
};

}  // namespace clawbot::service
