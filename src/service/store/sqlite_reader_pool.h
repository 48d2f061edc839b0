#pragma once
// Read connections to the store's file, beside its one writer. In WAL mode
// a reader sees the last commit and never waits for a writer, so a commit
// waiting for fsync, or another process holding the write lock (a backup,
// `clawbot token create`), does not hold up a token check, a history read
// or a conversation list. Each connection is used by one thread at a time;
// acquire() waits only when every one is in use.
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "service/store/sqlite_connection.h"

namespace clawbot::service {

class SqliteReaderPool {
public:
    // `count` connections (at least 1), each query_only with `busy_timeout_ms`.
    static Result<SqliteReaderPool> open(const std::string& path, int count, int busy_timeout_ms);

    SqliteReaderPool(SqliteReaderPool&& other) noexcept;
    SqliteReaderPool& operator=(SqliteReaderPool&&) = delete;

    class Lease {
    public:
        Lease(SqliteReaderPool& pool, std::size_t index) : pool_(&pool), index_(index) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { pool_->release(index_); }
        SqliteConnection& connection() { return pool_->connections_[index_]; }

    private:
        SqliteReaderPool* pool_;
        std::size_t index_;
    };
    Lease acquire();

private:
    explicit SqliteReaderPool(std::vector<SqliteConnection> connections);
    void release(std::size_t index);

    std::vector<SqliteConnection> connections_;
    std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<std::size_t> free_;
};

}  // namespace clawbot::service
