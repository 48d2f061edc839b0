#include "service/store/sqlite_connection.h"

#include <utility>

#include <sqlite3.h>

namespace clawbot::service {

// --- SqliteConnection -------------------------------------------------------

Result<SqliteConnection> SqliteConnection::open(const std::string& path) {
    sqlite3* db = nullptr;
    // NOMUTEX: SqliteStore holds its own mutex, SQLite's would be a second one.
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = "cannot open database " + path + ": " +
                              (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return make_error(std::move(message));
    }
    sqlite3_extended_result_codes(db, 1);
    return SqliteConnection(db);
}

SqliteConnection::SqliteConnection(SqliteConnection&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)) {}

SqliteConnection& SqliteConnection::operator=(SqliteConnection&& other) noexcept {
    if (this != &other) {
        sqlite3_close(db_);
        db_ = std::exchange(other.db_, nullptr);
    }
    return *this;
}

SqliteConnection::~SqliteConnection() { sqlite3_close(db_); }

Result<void> SqliteConnection::execute(const char* fixed_sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, fixed_sql, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : last_error();
        sqlite3_free(message);
        return make_error("sqlite: " + text);
    }
    return {};
}

std::int64_t SqliteConnection::changes() const { return sqlite3_changes64(db_); }

std::string SqliteConnection::last_error() const { return sqlite3_errmsg(db_); }

// --- SqliteStatement --------------------------------------------------------

Result<SqliteStatement> SqliteStatement::prepare(SqliteConnection& db, std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt,
                                      nullptr);
    if (rc != SQLITE_OK) return make_error("sqlite prepare: " + db.last_error());
    return SqliteStatement(db.handle(), stmt);
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      first_bind_error_(other.first_bind_error_) {}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

void SqliteStatement::note_bind(int rc) {
    if (rc != SQLITE_OK && first_bind_error_ == 0) first_bind_error_ = rc;
}

SqliteStatement& SqliteStatement::bind_text(int index, std::string_view text) {
    // An explicit length stores the bytes exactly, whatever they contain. A
    // null pointer would bind NULL: an empty view (std::string_view{}) is
    // the empty text.
    note_bind(sqlite3_bind_text64(stmt_, index, text.data() ? text.data() : "", text.size(), SQLITE_TRANSIENT,
                                  SQLITE_UTF8));
    return *this;
}

SqliteStatement& SqliteStatement::bind_int(int index, std::int64_t value) {
    note_bind(sqlite3_bind_int64(stmt_, index, value));
    return *this;
}

SqliteStatement& SqliteStatement::bind_blob(int index, std::span<const std::uint8_t> bytes) {
    note_bind(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
    return *this;
}

SqliteStatement& SqliteStatement::bind_null(int index) {
    note_bind(sqlite3_bind_null(stmt_, index));
    return *this;
}

Result<bool> SqliteStatement::step() {
    if (first_bind_error_ != 0) {
        return make_error(std::string("sqlite bind: ") + sqlite3_errstr(first_bind_error_));
    }
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return make_error(std::string("sqlite: ") + sqlite3_errmsg(db_));
}

Result<bool> SqliteStatement::run() {
    for (;;) {
        Result<bool> row = step();
        if (!row) return row;
        if (!*row) return true;
    }
}

std::string SqliteStatement::column_text(int index) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
    const int size = sqlite3_column_bytes(stmt_, index);  // after _text, per the SQLite docs
    return text ? std::string(text, static_cast<std::size_t>(size)) : std::string();
}

std::int64_t SqliteStatement::column_int(int index) const {
    return sqlite3_column_int64(stmt_, index);
}

bool SqliteStatement::column_is_null(int index) const {
    return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

std::span<const std::uint8_t> SqliteStatement::column_blob(int index) const {
    const auto* bytes = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, index));
    const int size = sqlite3_column_bytes(stmt_, index);
    if (bytes == nullptr) return {};
    return {bytes, static_cast<std::size_t>(size)};
}

// --- SqliteTransaction ------------------------------------------------------

Result<SqliteTransaction> SqliteTransaction::begin(SqliteConnection& db) {
    Result<void> begun = db.execute("BEGIN IMMEDIATE");
    if (!begun) return begun.error();
    return SqliteTransaction(&db);
}

Result<SqliteTransaction> SqliteTransaction::begin_read(SqliteConnection& db) {
    Result<void> begun = db.execute("BEGIN");
    if (!begun) return begun.error();
    return SqliteTransaction(&db);
}

SqliteTransaction::SqliteTransaction(SqliteTransaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)) {}

SqliteTransaction::~SqliteTransaction() {
    if (db_ != nullptr) (void)db_->execute("ROLLBACK");
}

Result<bool> SqliteTransaction::commit() {
    Result<void> committed = db_->execute("COMMIT");
    // On failure SQLite may have rolled back already; the destructor's
    // ROLLBACK then fails harmlessly.
    if (!committed) return committed.error();
    db_ = nullptr;
    return true;
}

}  // namespace clawbot::service
