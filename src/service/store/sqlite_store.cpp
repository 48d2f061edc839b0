#include "service/store/sqlite_store.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/store/sqlite_schema.h"

namespace clawbot::service {

namespace {

Result<bool> ensure_private_directory(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) {
        struct stat info {};
        if (::stat(dir.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) return true;
        return make_error("data directory " + dir + " is not a directory");
    }
    return make_error("cannot create data directory " + dir + ": " + std::strerror(errno));
}

// SQLite would create the file 0644; conversations are private, so the file
// exists with 0600 before SQLite opens it (its -wal and -shm copy that mode).
Result<bool> ensure_private_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return make_error("cannot create " + path + ": " + std::strerror(errno));
    ::close(fd);
    return true;
}

Result<std::string> single_text_value(SqliteConnection& db, const char* fixed_sql) {
    Result<SqliteStatement> query = SqliteStatement::prepare(db, fixed_sql);
    if (!query) return query.error();
    Result<bool> row = query->step();
    if (!row) return row.error();
    if (!*row) return make_error(std::string(fixed_sql) + " returned nothing");
    return query->column_text(0);
}

Result<bool> configure_connection(SqliteConnection& db, int busy_timeout_ms) {
    const std::string busy = "PRAGMA busy_timeout = " + std::to_string(busy_timeout_ms);
    for (const char* pragma : {busy.c_str(), "PRAGMA foreign_keys = ON", "PRAGMA synchronous = FULL"}) {
        Result<void> set = db.execute(pragma);
        if (!set) return set.error();
    }
    // These two can silently not take effect (a VFS without WAL support, a
    // build without foreign keys), so read them back.
    Result<std::string> journal = single_text_value(db, "PRAGMA journal_mode = WAL");
    if (!journal) return journal.error();
    if (*journal != "wal") return make_error("cannot switch the database to WAL mode (got " + *journal + ")");
    Result<std::string> foreign_keys = single_text_value(db, "PRAGMA foreign_keys");
    if (!foreign_keys) return foreign_keys.error();
    if (*foreign_keys != "1") return make_error("this SQLite does not enforce foreign keys");
    return true;
}

}  // namespace

std::string SqliteStore::database_path(const std::string& data_dir) {
    return data_dir + "/" + std::string(kDatabaseFileName);
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& data_dir, const SqliteOptions& options) {
    Result<bool> ready = ensure_private_directory(data_dir);
    const std::string path = database_path(data_dir);
    if (ready) ready = ensure_private_file(path);
    if (!ready) return ready.error();
    Result<SqliteConnection> db = SqliteConnection::open(path);
    if (!db) return db.error();
    Result<bool> configured = configure_connection(*db, options.busy_timeout_ms);
    if (configured) configured = migrate_schema(*db);
    if (!configured) return make_error(path + ": " + configured.error().message);
    // After the writer: the file is in WAL mode and has its schema.
    Result<SqliteReaderPool> readers = SqliteReaderPool::open(path, options.readers, options.busy_timeout_ms);
    if (!readers) return readers.error();
    return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db).value(), std::move(readers).value()));
}

Result<bool> SqliteStore::ping() {
    SqliteReaderPool::Lease reader = readers_.acquire();
    // Touches the schema and a table page, not just the connection object.
    Result<SqliteStatement> query = SqliteStatement::prepare(reader.connection(), "SELECT count(*) FROM tokens");
    if (!query) return query.error();
    Result<bool> row = query->step();
    if (!row) return row.error();
    return true;
}

}  // namespace clawbot::service
