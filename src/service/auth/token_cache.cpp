#include "service/auth/token_cache.h"

#include <cstring>

namespace clawbot::service {

std::size_t TokenCache::DigestHash::operator()(const TokenDigest& d) const noexcept {
    // A SHA-256 digest is already uniform: its first bytes are a good hash.
    std::size_t h = 0;
    std::memcpy(&h, d.data(), sizeof h);
    return h;
}

TokenCache::TokenCache(Loader loader, Options options) : loader_(std::move(loader)), options_(options) {}

TokenCache::~TokenCache() {
    {
        std::lock_guard lock(stop_mutex_);
        stopping_ = true;
    }
    stop_cv_.notify_all();
    if (refresher_.joinable()) refresher_.join();
}

Result<void> TokenCache::start() {
    reload();
    refresher_ = std::thread([this] { refresh_loop(); });
    std::shared_lock lock(table_mutex_);
    if (last_error_) return make_error(*last_error_);
    return {};
}

void TokenCache::reload() {
    Result<std::vector<StoredToken>> tokens = loader_();
    if (!tokens) {
        std::unique_lock lock(table_mutex_);
        last_error_ = tokens.error().message;
        return;
    }
    // Built outside the lock: readers wait only for the swap.
    Table fresh;
    fresh.reserve(tokens->size());
    for (StoredToken& token : *tokens) {
        const TokenDigest digest = token.digest;
        fresh.insert_or_assign(digest, std::move(token));
    }
    std::unique_lock lock(table_mutex_);
    table_.swap(fresh);
    loaded_at_ = Clock::now();
    last_error_.reset();
}

void TokenCache::refresh_loop() {
    std::unique_lock lock(stop_mutex_);
    while (!stop_cv_.wait_for(lock, options_.refresh_interval, [this] { return stopping_; })) {
        lock.unlock();
        reload();
        lock.lock();
    }
}

TokenCache::Answer TokenCache::lookup(const TokenDigest& digest) const {
    std::shared_lock lock(table_mutex_);
    if (Clock::now() - loaded_at_ > options_.max_age) return {};
    const auto found = table_.find(digest);
    if (found == table_.end()) return {};
    const StoredToken& stored = found->second;
    // The final say is a constant-time comparison, as in verify_access_token.
    if (!digests_equal(stored.digest, digest) || stored.record.revoked) return {Verdict::Refused, {}};
    return {Verdict::Valid, stored.record};
}

void TokenCache::remember(const StoredToken& token) {
    std::unique_lock lock(table_mutex_);
    table_.insert_or_assign(token.digest, token);
}

}  // namespace clawbot::service
