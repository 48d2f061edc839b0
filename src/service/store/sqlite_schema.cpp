#include "service/store/sqlite_schema.h"

#include <array>
#include <string>

namespace clawbot::service {

namespace {

// Times are unix milliseconds. STRICT tables make SQLite enforce the column
// types instead of silently storing, say, text in an INTEGER column.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE tokens (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    digest        BLOB NOT NULL UNIQUE,  -- SHA-256 of the token; the token itself is never stored
    admin         INTEGER NOT NULL CHECK (admin IN (0, 1)),
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
) STRICT;

CREATE TABLE conversations (
    id             TEXT PRIMARY KEY,
    owner_token_id TEXT NOT NULL REFERENCES tokens (id),
    title          TEXT NOT NULL,
    system_prompt  TEXT NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL
) STRICT;

-- Serves list_conversations: one owner, newest first, keyset paging.
CREATE INDEX conversations_by_owner_recency
    ON conversations (owner_token_id, updated_at_ms DESC, id DESC);

CREATE TABLE messages (
    id                TEXT PRIMARY KEY,
    conversation_id   TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq               INTEGER NOT NULL,
    role              TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content           TEXT NOT NULL,
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cached_tokens     INTEGER NOT NULL DEFAULT 0,
    created_at_ms     INTEGER NOT NULL,
    UNIQUE (conversation_id, seq)
) STRICT;
)sql";

// How an assistant message ended (store_records.h, MessageFinish). Rows
// written before version 2 read as 'stop'. No CHECK: a later value must not
// need a table rebuild; the reader refuses what it does not know.
constexpr const char* kVersion2 = R"sql(
ALTER TABLE messages ADD COLUMN finish_reason TEXT NOT NULL DEFAULT 'stop';
)sql";

// Append a migration here and never edit a released one.
constexpr std::array<const char*, 2> kMigrations = {kVersion1, kVersion2};

Result<bool> apply_migration(SqliteConnection& db, int version) {
    Result<SqliteTransaction> transaction = SqliteTransaction::begin(db);
    if (!transaction) return transaction.error();
    // Re-read under the write lock: another process may have migrated while
    // this one waited for it.
    Result<int> current = read_schema_version(db);
    if (!current) return current.error();
    if (*current >= version) return true;

    Result<void> applied = db.execute(kMigrations[static_cast<std::size_t>(version - 1)]);
    if (!applied) {
        return make_error("schema migration to version " + std::to_string(version) +
                          " failed: " + applied.error().message);
    }
    // PRAGMA takes no bound parameters; the version is our own integer.
    const std::string set_version = "PRAGMA user_version = " + std::to_string(version);
    Result<void> stamped = db.execute(set_version.c_str());
    if (!stamped) return stamped.error();
    return transaction->commit();
}

}  // namespace

int latest_schema_version() { return static_cast<int>(kMigrations.size()); }

Result<int> read_schema_version(SqliteConnection& db) {
    Result<SqliteStatement> query = SqliteStatement::prepare(db, "PRAGMA user_version");
    if (!query) return query.error();
    Result<bool> row = query->step();
    if (!row) return row.error();
    return static_cast<int>(*row ? query->column_int(0) : 0);
}

Result<bool> migrate_schema(SqliteConnection& db) {
    Result<int> version = read_schema_version(db);
    if (!version) return version.error();
    if (*version > latest_schema_version()) {
        return make_error("the database has schema version " + std::to_string(*version) +
                          ", newer than this clawbot understands (" +
                          std::to_string(latest_schema_version()) + "); upgrade clawbot");
    }
    for (int next = *version + 1; next <= latest_schema_version(); ++next) {
        Result<bool> migrated = apply_migration(db, next);
        if (!migrated) return migrated;
    }
    return true;
}

}  // namespace clawbot::service
