// SqliteStore: messages. Appends (and truncations) run in one IMMEDIATE
// transaction that checks ownership, inserts (deletes) and moves the
// conversation's updated_at; the call returns only after COMMIT, i.e. after
// the WAL is on disk.
#include "service/store/record_ids.h"
#include "service/store/sqlite_rows.h"
#include "service/store/sqlite_store.h"
#include "service/store/store_clock.h"

namespace clawbot::service {

Result<bool> SqliteStore::owns_conversation(SqliteConnection& db, std::string_view owner_token_id,
                                            std::string_view conversation_id) {
    Result<SqliteStatement> query = SqliteStatement::prepare(
        db, "SELECT 1 FROM conversations WHERE id = ?1 AND owner_token_id = ?2");
    if (!query) return query.error();
    query->bind_text(1, conversation_id).bind_text(2, owner_token_id);
    return query->step();
}

Result<MessageRecord> SqliteStore::insert_message(std::string_view conversation_id,
                                                  MessageRole role, std::string_view content,
                                                  const TokenUsage& usage, std::int64_t now_ms,
                                                  MessageFinish finish) {
    Result<std::string> id = new_message_id();
    if (!id) return id.error();
    MessageRecord message{std::move(id).value(), std::string(conversation_id), 0, role,
                          std::string(content), usage, now_ms, finish};
    // seq is computed inside the write transaction, so concurrent appends
    // (threads or processes) get consecutive, unique numbers.
    Result<SqliteStatement> insert = SqliteStatement::prepare(
        db_,
        "INSERT INTO messages (" CLAWBOT_MESSAGE_COLUMNS ") VALUES (?1, ?2,"
        " (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = ?2),"
        " ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING seq");
    if (!insert) return insert.error();
    insert->bind_text(1, message.id)
        .bind_text(2, message.conversation_id)
        .bind_text(3, role_name(role))
        .bind_text(4, content)
        .bind_int(5, usage.prompt_tokens)
        .bind_int(6, usage.completion_tokens)
        .bind_int(7, usage.cached_tokens)
        .bind_int(8, now_ms)
        .bind_text(9, finish_name(finish));
    Result<bool> row = insert->step();
    if (!row) return row.error();
    if (!*row) return make_error("insert into messages returned no seq");
    message.seq = insert->column_int(0);
    Result<bool> finished = insert->run();
    if (!finished) return finished.error();
    return message;
}

Result<bool> SqliteStore::touch_conversation(std::string_view conversation_id,
                                             std::int64_t now_ms) {
    // MAX keeps updated_at from moving backwards if the wall clock does.
    Result<SqliteStatement> update = SqliteStatement::prepare(
        db_, "UPDATE conversations SET updated_at_ms = MAX(updated_at_ms, ?2) WHERE id = ?1");
    if (!update) return update.error();
    update->bind_text(1, conversation_id).bind_int(2, now_ms);
    return update->run();
}

Result<std::optional<MessageRecord>> SqliteStore::append_message(
    std::string_view owner_token_id, std::string_view conversation_id, MessageRole role,
    std::string_view content, const TokenUsage& usage) {
    std::lock_guard lock(mutex_);
    Result<SqliteTransaction> transaction = SqliteTransaction::begin(db_);
    if (!transaction) return transaction.error();
    Result<bool> owned = owns_conversation(db_, owner_token_id, conversation_id);
    if (!owned) return owned.error();
    if (!*owned) return std::optional<MessageRecord>{};

    const std::int64_t now = unix_now_ms();
    Result<MessageRecord> message = insert_message(conversation_id, role, content, usage, now);
    if (!message) return message.error();
    Result<bool> done = touch_conversation(conversation_id, now);
    if (done) done = transaction->commit();
    if (!done) return done.error();
    return std::optional<MessageRecord>{std::move(message).value()};
}

Result<std::optional<Exchange>> SqliteStore::append_exchange(std::string_view owner_token_id,
                                                             std::string_view conversation_id,
                                                             std::string_view user_content,
                                                             std::string_view assistant_content,
                                                             const TokenUsage& usage, MessageFinish finish) {
    std::lock_guard lock(mutex_);
    Result<SqliteTransaction> transaction = SqliteTransaction::begin(db_);
    if (!transaction) return transaction.error();
    Result<bool> owned = owns_conversation(db_, owner_token_id, conversation_id);
    if (!owned) return owned.error();
    if (!*owned) return std::optional<Exchange>{};

    const std::int64_t now = unix_now_ms();
    Result<MessageRecord> user =
        insert_message(conversation_id, MessageRole::User, user_content, TokenUsage{}, now);
    if (!user) return user.error();
    Result<MessageRecord> assistant =
        insert_message(conversation_id, MessageRole::Assistant, assistant_content, usage, now, finish);
    if (!assistant) return assistant.error();
    Result<bool> done = touch_conversation(conversation_id, now);
    if (done) done = transaction->commit();
    if (!done) return done.error();
    return std::optional<Exchange>{Exchange{std::move(user).value(), std::move(assistant).value()}};
}

Result<std::optional<std::vector<MessageRecord>>> SqliteStore::list_messages(
    std::string_view owner_token_id, std::string_view conversation_id) {
    using Messages = std::vector<MessageRecord>;
    SqliteReaderPool::Lease reader = readers_.acquire();
    SqliteConnection& db = reader.connection();
    // One snapshot for both queries: a delete between them must not turn
    // "not found" into "no messages".
    Result<SqliteTransaction> snapshot = SqliteTransaction::begin_read(db);
    if (!snapshot) return snapshot.error();
    Result<bool> owned = owns_conversation(db, owner_token_id, conversation_id);
    if (!owned) return owned.error();
    if (!*owned) return std::optional<Messages>{};

    Result<SqliteStatement> query = SqliteStatement::prepare(
        db, "SELECT " CLAWBOT_MESSAGE_COLUMNS " FROM messages WHERE conversation_id = ?1 ORDER BY seq");
    if (!query) return query.error();
    query->bind_text(1, conversation_id);
    Result<Messages> messages = read_all_rows<MessageRecord>(*query, read_message_row);
    if (!messages) return messages.error();
    Result<bool> ended = snapshot->commit();
    if (!ended) return ended.error();
    return std::optional<Messages>{std::move(messages).value()};
}

Result<std::optional<std::int64_t>> SqliteStore::delete_messages_from(std::string_view owner_token_id,
                                                                      std::string_view conversation_id,
                                                                      std::string_view message_id) {
    using Deleted = std::optional<std::int64_t>;
    std::lock_guard lock(mutex_);
    Result<SqliteTransaction> transaction = SqliteTransaction::begin(db_);
    if (!transaction) return transaction.error();
    Result<bool> owned = owns_conversation(db_, owner_token_id, conversation_id);
    if (!owned) return owned.error();
    if (!*owned) return Deleted{};

    // The message must be one of this conversation's: an id of another
    // conversation is not found, as a made-up one.
    Result<SqliteStatement> find = SqliteStatement::prepare(
        db_, "SELECT seq FROM messages WHERE id = ?1 AND conversation_id = ?2");
    if (!find) return find.error();
    find->bind_text(1, message_id).bind_text(2, conversation_id);
    Result<bool> found = find->step();
    if (!found) return found.error();
    if (!*found) return Deleted{};
    const std::int64_t from_seq = find->column_int(0);

    Result<SqliteStatement> erase = SqliteStatement::prepare(
        db_, "DELETE FROM messages WHERE conversation_id = ?1 AND seq >= ?2");
    if (!erase) return erase.error();
    erase->bind_text(1, conversation_id).bind_int(2, from_seq);
    Result<bool> done = erase->run();
    if (!done) return done.error();
    const std::int64_t deleted = db_.changes();
    done = touch_conversation(conversation_id, unix_now_ms());
    if (done) done = transaction->commit();
    if (!done) return done.error();
    return Deleted{deleted};
}

}  // namespace clawbot::service
