#pragma once
// ConversationStore on one SQLite file, DATA_DIR/clawbot.db.
//
// Durability: WAL journal with synchronous=FULL, so a COMMIT has reached the
// disk (fsync of the WAL) before the call that made it returns. Concurrency:
// one connection behind a mutex inside the process; other processes (the CLI
// creating a token while the server runs) wait on busy_timeout.
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "service/store/conversation_store.h"
#include "service/store/sqlite_connection.h"

namespace clawbot::service {

class SqliteStore final : public ConversationStore {
public:
    static constexpr std::string_view kDatabaseFileName = "clawbot.db";
    static constexpr int kBusyTimeoutMs = 5000;

    // Creates `data_dir` (mode 0700) and the database file (mode 0600) when
    // missing, configures the connection and migrates the schema.
    static Result<std::unique_ptr<SqliteStore>> open(const std::string& data_dir);
    static std::string database_path(const std::string& data_dir);

    Result<CreatedToken> create_token(std::string_view name, bool admin) override;
    Result<std::vector<TokenRecord>> list_tokens() override;
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
                                                    const TokenUsage& usage) override;
    Result<std::optional<std::vector<MessageRecord>>> list_messages(
        std::string_view owner_token_id, std::string_view conversation_id) override;

    Result<bool> ping() override;

private:
    explicit SqliteStore(SqliteConnection db) : db_(std::move(db)) {}

    // The helpers below expect mutex_ held and, for writes, a transaction open.
    Result<bool> owns_conversation(std::string_view owner_token_id,
                                   std::string_view conversation_id);
    Result<MessageRecord> insert_message(std::string_view conversation_id, MessageRole role,
                                         std::string_view content, const TokenUsage& usage,
                                         std::int64_t now_ms);
    Result<bool> touch_conversation(std::string_view conversation_id, std::int64_t now_ms);

    std::mutex mutex_;
    SqliteConnection db_;
};

}  // namespace clawbot::service
