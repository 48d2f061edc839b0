#include "service/store/sqlite_reader_pool.h"

#include <algorithm>

namespace clawbot::service {

Result<SqliteReaderPool> SqliteReaderPool::open(const std::string& path, int count, int busy_timeout_ms) {
    std::vector<SqliteConnection> connections;
    const std::string busy = "PRAGMA busy_timeout = " + std::to_string(busy_timeout_ms);
    for (int i = 0; i < std::max(count, 1); ++i) {
        Result<SqliteConnection> db = SqliteConnection::open(path);
        if (!db) return db.error();
        // query_only: a bug that sent a write here fails instead of taking
        // a second write path around the writer's mutex.
        for (const char* pragma : {busy.c_str(), "PRAGMA query_only = ON"}) {
            Result<void> set = db->execute(pragma);
            if (!set) return make_error(path + ": " + set.error().message);
        }
        connections.push_back(std::move(db).value());
    }
    return SqliteReaderPool(std::move(connections));
}

SqliteReaderPool::SqliteReaderPool(std::vector<SqliteConnection> connections)
    : connections_(std::move(connections)) {
    for (std::size_t i = 0; i < connections_.size(); ++i) free_.push_back(i);
}

SqliteReaderPool::SqliteReaderPool(SqliteReaderPool&& other) noexcept
    : connections_(std::move(other.connections_)), free_(std::move(other.free_)) {}

SqliteReaderPool::Lease SqliteReaderPool::acquire() {
    std::unique_lock lock(mutex_);
    freed_.wait(lock, [this] { return !free_.empty(); });
    const std::size_t index = free_.back();
    free_.pop_back();
    return Lease(*this, index);
}

void SqliteReaderPool::release(std::size_t index) {
    {
        std::lock_guard lock(mutex_);
        free_.push_back(index);
    }
    freed_.notify_one();
}

}  // namespace clawbot::service
