#pragma once
// Thin RAII over the SQLite C API: a connection, prepared statements with
// bound parameters (user data never goes into SQL text), and an IMMEDIATE
// transaction guard. Not thread-safe by itself; SqliteStore serialises use.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace clawbot::service {

class SqliteConnection {
public:
    // Opens (creating if needed) without applying any pragma.
    static Result<SqliteConnection> open(const std::string& path);

    SqliteConnection(SqliteConnection&& other) noexcept;
    SqliteConnection& operator=(SqliteConnection&& other) noexcept;
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;
    ~SqliteConnection();

    sqlite3* handle() const { return db_; }
    // Runs fixed SQL (pragmas, DDL). Never pass text built from user data.
    Result<void> execute(const char* fixed_sql);
    // Rows changed by the last INSERT/UPDATE/DELETE.
    std::int64_t changes() const;
    std::string last_error() const;

private:
    explicit SqliteConnection(sqlite3* db) : db_(db) {}
    sqlite3* db_ = nullptr;
};

class SqliteStatement {
public:
    static Result<SqliteStatement> prepare(SqliteConnection& db, std::string_view sql);

    SqliteStatement(SqliteStatement&& other) noexcept;
    SqliteStatement& operator=(SqliteStatement&&) = delete;
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;
    ~SqliteStatement();

    // Parameters are 1-based. A failed bind is remembered and reported by step().
    SqliteStatement& bind_text(int index, std::string_view text);
    SqliteStatement& bind_int(int index, std::int64_t value);
    SqliteStatement& bind_blob(int index, std::span<const std::uint8_t> bytes);
    SqliteStatement& bind_null(int index);

    // true: a row is ready to read; false: the statement has finished.
    Result<bool> step();
    // step() until done, for statements that return no rows.
    Result<bool> run();

    std::string column_text(int index) const;  // byte for byte, embedded NULs kept
    std::int64_t column_int(int index) const;
    bool column_is_null(int index) const;
    std::span<const std::uint8_t> column_blob(int index) const;

private:
    SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    void note_bind(int rc);
    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
    int first_bind_error_ = 0;
};

// BEGIN IMMEDIATE takes the write lock up front, so two writers (threads or
// the CLI beside the server) queue on busy_timeout instead of failing on a
// lock upgrade. Rolls back on destruction unless committed.
class SqliteTransaction {
public:
    static Result<SqliteTransaction> begin(SqliteConnection& db);
    // A read-only snapshot (plain BEGIN): several queries see one state of
    // the database even while another process writes.
    static Result<SqliteTransaction> begin_read(SqliteConnection& db);
    SqliteTransaction(SqliteTransaction&& other) noexcept;
    SqliteTransaction& operator=(SqliteTransaction&&) = delete;
    ~SqliteTransaction();
    // Durable when it returns true (the connection runs synchronous=FULL).
    Result<bool> commit();

private:
    explicit SqliteTransaction(SqliteConnection* db) : db_(db) {}
    SqliteConnection* db_ = nullptr;
};

}  // namespace clawbot::service
