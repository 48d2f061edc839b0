// Doctor checks of what the service writes: DATA_DIR (and SQLite in it), the
// access tokens in the database, and LOG_FILE. Nothing lasting is created:
// a missing DATA_DIR is tried in a scratch directory that is removed again,
// and an existing database is only opened and read.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/doctor_checks.h"
#include "service/store/sqlite_store.h"
#include "service/store/store_factory.h"

namespace clawbot::cli::doctor {
namespace {

namespace fs = std::filesystem;

bool exists(const std::string& path, struct stat& info) { return ::stat(path.c_str(), &info) == 0; }

// The nearest existing ancestor of `path` (itself when it exists).
std::string nearest_existing(const std::string& path) {
    std::error_code ec;
    fs::path p = fs::absolute(path, ec).lexically_normal();
    struct stat info {};
    while (!p.empty() && p != p.root_path() && !exists(p.string(), info)) p = p.parent_path();
    return p.empty() ? std::string("/") : p.string();
}

// Opens a fresh store in a scratch directory under `parent` and removes it:
// proves SQLite (WAL, schema) works on that file system. Empty when it does.
std::string probe_sqlite(const std::string& parent) {
    std::string scratch = parent + "/.clawbot-doctor-XXXXXX";
    if (::mkdtemp(scratch.data()) == nullptr) return std::strerror(errno);
    std::string problem;
    {
        auto store = service::SqliteStore::open(scratch + "/data");
        if (!store) problem = store.error().message;
    }
    std::error_code ignored;
    fs::remove_all(scratch, ignored);
    return problem;
}

CheckLine missing_data_dir(const std::string& dir) {
    const std::string ancestor = nearest_existing(dir);
    struct stat info {};
    if (!exists(ancestor, info) || !S_ISDIR(info.st_mode)) {
        return CheckLine::fail("data dir", "cannot create DATA_DIR " + dir + ": " + ancestor + " is not a directory",
                               "set DATA_DIR to a directory path (default /var/lib/clawbot)");
    }
    if (const std::string why = probe_writable(ancestor); !why.empty()) {
        return CheckLine::fail("data dir", "cannot create DATA_DIR " + dir + ": " + ancestor + " is not writable (" + why + ")",
                               "mkdir -p " + dir + " && chown clawbot " + dir + " (the service user), or choose another DATA_DIR");
    }
    if (const std::string why = probe_sqlite(ancestor); !why.empty()) {
        return CheckLine::fail("data dir", "SQLite does not work under " + ancestor + ": " + why,
                               "put DATA_DIR on a local file system (SQLite's WAL needs shared memory)");
    }
    return CheckLine::ok("data dir", dir + " does not exist yet; clawbot creates it at start (" + ancestor + " is writable)");
}

}  // namespace

// STORE=redis://...: the shared store answers, with settings that keep an
// acknowledged message (the store reports weaker ones as warnings).
CheckLine check_redis_store(const service::Settings& s) {
    auto opened = service::open_store(s);
    if (!opened) {
        return CheckLine::fail("store", opened.error().message,
                               "start redis-server, or correct STORE (redis://[:PASSWORD@]HOST:PORT/DB)");
    }
    if (auto ping = opened->store->ping(); !ping || !*ping) {
        return CheckLine::fail("store", opened->description + " does not answer" + (ping ? "" : ": " + ping.error().message),
                               "check that redis-server runs and is reachable from this host");
    }
    if (!opened->warnings.empty()) {
        return CheckLine::warn("store", opened->description + " answers, but " + opened->warnings.front(),
                               "run Redis with appendonly yes and appendfsync always (docs/cluster.md)");
    }
    return CheckLine::ok("store", opened->description + " answers, with appendonly yes and appendfsync always");
}

CheckLine check_data_dir(const service::Settings& s) {
    if (s.store != "sqlite") return check_redis_store(s);
    const std::string& dir = s.data_dir;
    struct stat info {};
    if (!exists(dir, info)) return missing_data_dir(dir);
    if (!S_ISDIR(info.st_mode)) {
        return CheckLine::fail("data dir", "DATA_DIR " + dir + " is not a directory",
                               "set DATA_DIR to a directory path (default /var/lib/clawbot)");
    }
    const std::string owner_fix = "chown -R clawbot " + dir + " (the service user), or choose another DATA_DIR";
    if (const std::string why = probe_writable(dir); !why.empty()) {
        return CheckLine::fail("data dir", "DATA_DIR " + dir + " is not writable: " + why, owner_fix);
    }
    const std::string db = service::SqliteStore::database_path(dir);
    if (!exists(db, info)) {
        if (const std::string why = probe_sqlite(dir); !why.empty()) {
            return CheckLine::fail("data dir", "SQLite does not work in " + dir + ": " + why,
                                   "put DATA_DIR on a local file system (SQLite's WAL needs shared memory)");
        }
        return CheckLine::ok("data dir", dir + " is writable; no database yet (created at first start)");
    }
    // Opening an up-to-date database changes nothing in it.
    auto store = service::SqliteStore::open(dir);
    if (!store) {
        return CheckLine::fail("data dir", "the database does not open: " + store.error().message,
                               owner_fix + "; if the file is damaged, restore it from a backup");
    }
    if (auto ping = (*store)->ping(); !ping) {
        return CheckLine::fail("data dir", "the database does not answer: " + ping.error().message,
                               "restore " + db + " from a backup");
    }
    return CheckLine::ok("data dir", dir + " is writable; database " + db + " opens");
}

CheckLine check_access_tokens(const service::Settings& s) {
    const std::string create = "create one with `clawbot token create --name NAME --admin` (same --config), or `clawbot init`";
    std::int64_t active = 0;
    struct stat info {};
    if (s.store != "sqlite") {
        auto opened = service::open_store(s);
        if (!opened) return CheckLine::fail("access tokens", opened.error().message, "see the store line");
        auto count = opened->store->count_active_tokens();
        if (!count) return CheckLine::fail("access tokens", count.error().message, "see the store line");
        active = *count;
    } else if (exists(service::SqliteStore::database_path(s.data_dir), info)) {
        auto store = service::SqliteStore::open(s.data_dir);
        if (!store) return CheckLine::fail("access tokens", store.error().message, "see the data dir line");
        auto count = (*store)->count_active_tokens();
        if (!count) return CheckLine::fail("access tokens", count.error().message, "see the data dir line");
        active = *count;
    }
    if (active > 0) return CheckLine::ok("access tokens", std::to_string(active) + " active");
    if (!service::is_loopback_host(s.host)) {
        return CheckLine::fail("access tokens",
                               "none exists and HOST=" + s.host + " is not loopback, so clawbot serve refuses to start",
                               create);
    }
    return CheckLine::warn("access tokens", "none exists yet, so nobody can chat", create);
}

CheckLine check_log_file(const service::Settings& s) {
    const std::string& path = s.log_file;
    if (path.empty()) return CheckLine::ok("log file", "none set: logs go to stderr (the journal under systemd)");
    struct stat info {};
    if (exists(path, info)) {
        if (S_ISDIR(info.st_mode)) {
            return CheckLine::fail("log file", "LOG_FILE " + path + " is a directory", "set LOG_FILE to a file path");
        }
        const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            return CheckLine::fail("log file", "cannot append to LOG_FILE " + path + ": " + std::strerror(errno),
                                   "chown clawbot " + path + " (the service user), or choose another LOG_FILE");
        }
        ::close(fd);
        return CheckLine::ok("log file", path + " is writable");
    }
    const std::string dir = fs::path(path).parent_path().empty() ? "." : fs::path(path).parent_path().string();
    if (!exists(dir, info) || !S_ISDIR(info.st_mode)) {
        return CheckLine::fail("log file", "the directory of LOG_FILE " + path + " does not exist",
                               "mkdir -p " + dir + " && chown clawbot " + dir + ", or choose another LOG_FILE");
    }
    if (const std::string why = probe_writable(dir); !why.empty()) {
        return CheckLine::fail("log file", "cannot create LOG_FILE " + path + " in " + dir + ": " + why,
                               "create it for the service user (`touch " + path + " && chown clawbot " + path +
                                   "`), or put it in a directory that user owns (e.g. /var/log/clawbot/)");
    }
    return CheckLine::ok("log file", path + " does not exist yet; clawbot creates it (" + dir + " is writable)");
}

}  // namespace clawbot::cli::doctor
