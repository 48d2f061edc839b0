// SqliteStore: access tokens.
#include "service/store/sqlite_rows.h"
#include "service/store/sqlite_store.h"
#include "service/store/store_clock.h"

namespace clawbot::service {

Result<CreatedToken> SqliteStore::create_token(std::string_view name, bool admin) {
    Result<std::string> plaintext = generate_access_token();
    if (!plaintext) return plaintext.error();
    Result<TokenDigest> digest = digest_access_token(*plaintext);
    if (!digest) return digest.error();
    Result<std::string> id = generate_token_id();
    if (!id) return id.error();
    CreatedToken created{TokenRecord{*id, std::string(name), admin, unix_now_ms(), false},
                         std::move(plaintext).value()};

    std::lock_guard lock(mutex_);
    Result<SqliteStatement> insert = SqliteStatement::prepare(
        db_,
        "INSERT INTO tokens (id, name, digest, admin, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!insert) return insert.error();
    insert->bind_text(1, created.record.id)
        .bind_text(2, created.record.name)
        .bind_blob(3, *digest)
        .bind_int(4, admin ? 1 : 0)
        .bind_int(5, created.record.created_at_ms);
    Result<bool> inserted = insert->run();
    if (!inserted) return inserted.error();
    return created;
}

Result<std::vector<StoredToken>> SqliteStore::list_stored_tokens() {
    SqliteReaderPool::Lease reader = readers_.acquire();
    Result<SqliteStatement> query = SqliteStatement::prepare(
        reader.connection(), "SELECT " CLAWBOT_TOKEN_COLUMNS " FROM tokens ORDER BY created_at_ms, id");
    if (!query) return query.error();
    return read_all_rows<StoredToken>(*query, read_token_row);
}

Result<std::vector<TokenRecord>> SqliteStore::list_tokens() {
    Result<std::vector<StoredToken>> rows = list_stored_tokens();
    if (!rows) return rows.error();
    std::vector<TokenRecord> records;
    records.reserve(rows->size());
    for (StoredToken& row : *rows) records.push_back(std::move(row.record));
    return records;
}

Result<bool> SqliteStore::revoke_token(std::string_view token_id) {
    std::lock_guard lock(mutex_);
    // COALESCE keeps the first revocation time; the row still counts as
    // changed, so revoking twice reports "found" both times.
    Result<SqliteStatement> update = SqliteStatement::prepare(
        db_, "UPDATE tokens SET revoked_at_ms = COALESCE(revoked_at_ms, ?2) WHERE id = ?1");
    if (!update) return update.error();
    update->bind_text(1, token_id).bind_int(2, unix_now_ms());
    Result<bool> updated = update->run();
    if (!updated) return updated;
    return db_.changes() > 0;
}

Result<std::int64_t> SqliteStore::count_active_tokens() {
    SqliteReaderPool::Lease reader = readers_.acquire();
    Result<SqliteStatement> query =
        SqliteStatement::prepare(reader.connection(), "SELECT count(*) FROM tokens WHERE revoked_at_ms IS NULL");
    if (!query) return query.error();
    Result<bool> row = query->step();
    if (!row) return row.error();
    return *row ? query->column_int(0) : 0;
}

Result<std::optional<StoredToken>> SqliteStore::find_token(const TokenDigest& digest) {
    SqliteReaderPool::Lease reader = readers_.acquire();
    Result<SqliteStatement> query = SqliteStatement::prepare(
        reader.connection(), "SELECT " CLAWBOT_TOKEN_COLUMNS " FROM tokens WHERE digest = ?1");
    if (!query) return query.error();
    query->bind_blob(1, digest);
    Result<bool> row = query->step();
    if (!row) return row.error();
    if (!*row) return std::optional<StoredToken>{};
    Result<StoredToken> token = read_token_row(*query);
    if (!token) return token.error();
    return std::optional<StoredToken>{std::move(token).value()};
}

}  // namespace clawbot::service
