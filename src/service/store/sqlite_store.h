#pragma once
// ConversationStore on one SQLite file, DATA_DIR/clawbot.db.
//
// Durability: WAL journal with synchronous=FULL, so a COMMIT has reached the
// disk (fsync of the WAL) before the call that made it returns. Concurrency:
// one writing connection behind a mutex inside the process, and a pool of
// read connections (sqlite_reader_pool.h) that WAL lets read while a write
// commits. Other processes (the CLI creating a token while the server runs)
// take turns with the writer on busy_timeout: a write that cannot get the
// lock within it fails (SQLITE_BUSY) and is never acknowledged.
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "service/store/conversation_store.h"
#include "service/store/sqlite_connection.h"
#include "service/store/sqlite_reader_pool.h"

namespace clawbot::service {

struct SqliteOptions {
    // The longest a call waits for a lock another connection holds: every
    // store call's deadline.
    int busy_timeout_ms = 5000;
    // Read connections; more than the threads that read at once buys nothing.
    int readers = 4;
};

class SqliteStore final : public ConversationStore {
public:
    static constexpr std::string_view kDatabaseFileName = "clawbot.db";

    // Creates `data_dir` (mode 0700) and the database file (mode 0600) when
    // missing, configures the connections and migrates the schema.
    static Result<std::unique_ptr<SqliteStore>> open(const std::string& data_dir, const SqliteOptions& options = {});
    static std::string database_path(const std::string& data_dir);

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
    SqliteStore(SqliteConnection db, SqliteReaderPool readers) : db_(std::move(db)), readers_(std::move(readers)) {}

    // On `db`: the writer (mutex_ held, a transaction open) or a reader.
    static Result<bool> owns_conversation(SqliteConnection& db, std::string_view owner_token_id,
                                          std::string_view conversation_id);
    // The helpers below expect mutex_ held and a transaction open.
    Result<MessageRecord> insert_message(std::string_view conversation_id, MessageRole role,
                                         std::string_view content, const TokenUsage& usage,
                                         std::int64_t now_ms, MessageFinish finish = MessageFinish::Stop);
    Result<bool> touch_conversation(std::string_view conversation_id, std::int64_t now_ms);

    std::mutex mutex_;  // the writer's
    SqliteConnection db_;
    SqliteReaderPool readers_;
};

}  // namespace clawbot::service
