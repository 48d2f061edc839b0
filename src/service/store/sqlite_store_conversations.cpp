// SqliteStore: conversations. Every query filters on the owner as well as
// the id, so another owner's conversation is simply not found.
#include <algorithm>

#include "service/store/record_ids.h"
#include "service/store/sqlite_rows.h"
#include "service/store/sqlite_store.h"
#include "service/store/store_clock.h"

namespace clawbot::service {
namespace {

// A page query asks for one row beyond the page: that row only says that
// another page exists, and where it starts.
Result<ConversationPage> read_conversation_page(SqliteStatement& statement, int page_size) {
    Result<std::vector<ConversationRecord>> rows = read_all_rows<ConversationRecord>(statement, read_conversation_row);
    if (!rows) return rows.error();
    ConversationPage page;
    page.items = std::move(rows).value();
    if (page.items.size() > static_cast<std::size_t>(page_size)) {
        page.items.resize(static_cast<std::size_t>(page_size));
        page.next = PageCursor{page.items.back().updated_at_ms, page.items.back().id};
    }
    return page;
}

}  // namespace

Result<ConversationRecord> SqliteStore::create_conversation(std::string_view owner_token_id,
                                                            std::string_view title,
                                                            std::string_view system_prompt) {
    Result<std::string> id = new_conversation_id();
    if (!id) return id.error();
    const std::int64_t now = unix_now_ms();
    ConversationRecord conversation{std::move(id).value(), std::string(owner_token_id),
                                    std::string(title),    std::string(system_prompt),
                                    now,                   now};

    std::lock_guard lock(mutex_);
    Result<SqliteStatement> insert = SqliteStatement::prepare(
        db_,
        "INSERT INTO conversations (" CLAWBOT_CONVERSATION_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!insert) return insert.error();
    insert->bind_text(1, conversation.id)
        .bind_text(2, conversation.owner_token_id)
        .bind_text(3, conversation.title)
        .bind_text(4, conversation.system_prompt)
        .bind_int(5, now)
        .bind_int(6, now);
    Result<bool> inserted = insert->run();
    if (!inserted) return inserted.error();
    return conversation;
}

Result<std::optional<ConversationRecord>> SqliteStore::get_conversation(
    std::string_view owner_token_id, std::string_view conversation_id) {
    SqliteReaderPool::Lease reader = readers_.acquire();
    Result<SqliteStatement> query = SqliteStatement::prepare(
        reader.connection(), "SELECT " CLAWBOT_CONVERSATION_COLUMNS
             " FROM conversations WHERE id = ?1 AND owner_token_id = ?2");
    if (!query) return query.error();
    query->bind_text(1, conversation_id).bind_text(2, owner_token_id);
    Result<bool> row = query->step();
    if (!row) return row.error();
    if (!*row) return std::optional<ConversationRecord>{};
    return std::optional<ConversationRecord>{read_conversation_row(*query)};
}

Result<ConversationPage> SqliteStore::list_conversations(std::string_view owner_token_id,
                                                         int limit,
                                                         const std::optional<PageCursor>& after) {
    const int page_size = std::clamp(limit, 1, kMaxConversationPageSize);
    // Row-value comparison walks the (owner, updated_at DESC, id DESC) index.
    const char* sql =
        after ? "SELECT " CLAWBOT_CONVERSATION_COLUMNS
                " FROM conversations WHERE owner_token_id = ?1 AND (updated_at_ms, id) < (?3, ?4)"
                " ORDER BY updated_at_ms DESC, id DESC LIMIT ?2"
              : "SELECT " CLAWBOT_CONVERSATION_COLUMNS
                " FROM conversations WHERE owner_token_id = ?1"
                " ORDER BY updated_at_ms DESC, id DESC LIMIT ?2";

    SqliteReaderPool::Lease reader = readers_.acquire();
    Result<SqliteStatement> query = SqliteStatement::prepare(reader.connection(), sql);
    if (!query) return query.error();
    // One row beyond the page says whether another page exists.
    query->bind_text(1, owner_token_id).bind_int(2, page_size + 1);
    if (after) query->bind_int(3, after->updated_at_ms).bind_text(4, after->conversation_id);
    return read_conversation_page(*query, page_size);
}

Result<ConversationPage> SqliteStore::search_conversations(std::string_view owner_token_id,
                                                           std::string_view query, int limit,
                                                           const std::optional<PageCursor>& after) {
    if (!valid_search_text(query)) return make_error("search text must be valid UTF-8 of at most 200 bytes without NUL");
    const int page_size = std::clamp(limit, 1, kMaxConversationPageSize);
    // instr(lower(...)) rather than LIKE: the text is matched literally (no
    // '%' or '_' to escape) and lower() folds ASCII letters only, as ?5 was.
    // The owner's index gives the order; each candidate's messages are read
    // through the (conversation_id, seq) index until one matches.
#define CLAWBOT_SEARCH_MATCH                                                                       \
    " AND (instr(lower(title), ?5) > 0 OR EXISTS (SELECT 1 FROM messages m"                         \
    " WHERE m.conversation_id = conversations.id AND instr(lower(m.content), ?5) > 0))"
    const char* sql =
        after ? "SELECT " CLAWBOT_CONVERSATION_COLUMNS
                " FROM conversations WHERE owner_token_id = ?1 AND (updated_at_ms, id) < (?3, ?4)"
                CLAWBOT_SEARCH_MATCH " ORDER BY updated_at_ms DESC, id DESC LIMIT ?2"
              : "SELECT " CLAWBOT_CONVERSATION_COLUMNS
                " FROM conversations WHERE owner_token_id = ?1"
                CLAWBOT_SEARCH_MATCH " ORDER BY updated_at_ms DESC, id DESC LIMIT ?2";
#undef CLAWBOT_SEARCH_MATCH

    const std::string lowered = ascii_lower(query);
    SqliteReaderPool::Lease reader = readers_.acquire();
    Result<SqliteStatement> statement = SqliteStatement::prepare(reader.connection(), sql);
    if (!statement) return statement.error();
    statement->bind_text(1, owner_token_id).bind_int(2, page_size + 1).bind_text(5, lowered);
    if (after) statement->bind_int(3, after->updated_at_ms).bind_text(4, after->conversation_id);
    return read_conversation_page(*statement, page_size);
}

Result<std::optional<ConversationRecord>> SqliteStore::update_conversation(
    std::string_view owner_token_id, std::string_view conversation_id, std::optional<std::string_view> title,
    std::optional<std::string_view> system_prompt) {
    if (title) {
        const std::optional<std::string> clean = clean_conversation_title(*title);
        if (!clean || *clean != *title) return make_error("a conversation title must be 1 to 200 characters without control characters or surrounding spaces");
    }
    if (system_prompt && !valid_system_prompt(*system_prompt)) {
        return make_error("a system prompt must be valid UTF-8 of at most 32768 bytes");
    }
    std::lock_guard lock(mutex_);
    // A NULL parameter keeps the column (COALESCE); updated_at stays: an
    // update does not move the conversation in the list.
    Result<SqliteStatement> update = SqliteStatement::prepare(
        db_, "UPDATE conversations SET title = COALESCE(?3, title), system_prompt = COALESCE(?4, system_prompt)"
             " WHERE id = ?1 AND owner_token_id = ?2 RETURNING " CLAWBOT_CONVERSATION_COLUMNS);
    if (!update) return update.error();
    update->bind_text(1, conversation_id).bind_text(2, owner_token_id);
    if (title) update->bind_text(3, *title); else update->bind_null(3);
    if (system_prompt) update->bind_text(4, *system_prompt); else update->bind_null(4);
    Result<bool> row = update->step();
    if (!row) return row.error();
    if (!*row) return std::optional<ConversationRecord>{};
    ConversationRecord updated = read_conversation_row(*update);
    Result<bool> finished = update->run();
    if (!finished) return finished.error();
    return std::optional<ConversationRecord>{std::move(updated)};
}

Result<bool> SqliteStore::delete_conversation(std::string_view owner_token_id,
                                              std::string_view conversation_id) {
    std::lock_guard lock(mutex_);
    // Messages go with it through ON DELETE CASCADE, in the same statement.
    Result<SqliteStatement> erase = SqliteStatement::prepare(
        db_, "DELETE FROM conversations WHERE id = ?1 AND owner_token_id = ?2");
    if (!erase) return erase.error();
    erase->bind_text(1, conversation_id).bind_text(2, owner_token_id);
    Result<bool> erased = erase->run();
    if (!erased) return erased;
    return db_.changes() > 0;
}

}  // namespace clawbot::service
