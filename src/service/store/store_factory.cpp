#include "service/store/store_factory.h"

#include <chrono>

#include "service/store/redis_store.h"
#include "service/store/redis_url.h"
#include "service/store/sqlite_store.h"

namespace clawbot::service {

Result<OpenedStore> open_store(const Settings& settings) {
    if (settings.store == "sqlite") {
        // A read connection for each thread that reads at once: the store
        // reads executor, request prep, and the token cache's reloads.
        const SqliteOptions options{settings.store_timeout_ms, service_threads(settings.store_threads) + service_threads(settings.prep_threads) + 1};
        Result<std::unique_ptr<SqliteStore>> sqlite = SqliteStore::open(settings.data_dir, options);
        if (!sqlite) return sqlite.error();
        return OpenedStore{std::move(sqlite).value(), "SQLite at " + SqliteStore::database_path(settings.data_dir), {}};
    }
    if (settings.store.find("://") == std::string::npos) {
        return make_error("STORE \"" + mask_url_credentials(settings.store) +
                          "\": expected sqlite or redis://[:PASSWORD@]HOST[:PORT][/DB]");
    }
    Result<RedisEndpoint> endpoint = parse_redis_url(settings.store);
    if (!endpoint) return endpoint.error();
    RedisStoreOptions options;
    // A write waits for Redis's fsync (appendfsync always): a disk busy with
    // something else can stall it past a second. STORE_TIMEOUT_MS bounds it
    // as it bounds a SQLite write; a hung Redis fails the first call that
    // waits that long and, through the pool's backoff, the others at once.
    options.timeouts.command = std::chrono::milliseconds(settings.store_timeout_ms);
    // One connection per thread that may call the store at once: both store
    // executors, request prep, the token cache's reloads, and one spare.
    options.connections = static_cast<std::size_t>(2 * service_threads(settings.store_threads) + service_threads(settings.prep_threads) + 2);
    Result<std::unique_ptr<RedisStore>> redis = RedisStore::open(*endpoint, options);
    if (!redis) return make_error("STORE: " + redis.error().message);
    OpenedStore opened{nullptr, (*redis)->description(), {}};
    if ((*redis)->durability_warning()) opened.warnings.push_back(*(*redis)->durability_warning());
    opened.store = std::move(redis).value();
    return opened;
}

}  // namespace clawbot::service
