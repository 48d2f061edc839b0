#include "engine/kv/block_pool.h"

namespace clawbot {

BlockPool::BlockPool(int n_blocks)
    : refs_(static_cast<size_t>(n_blocks), 0),
      cached_(static_cast<size_t>(n_blocks), 0),
      lru_pos_(static_cast<size_t>(n_blocks)),
      in_lru_(static_cast<size_t>(n_blocks), 0) {
    free_.reserve(static_cast<size_t>(n_blocks));
    for (int i = n_blocks - 1; i >= 0; --i) free_.push_back(i);
}

std::optional<BlockId> BlockPool::allocate() {
    BlockId id;
    if (!free_.empty()) {
        id = free_.back();
        free_.pop_back();
    } else if (!lru_.empty()) {
        id = lru_.front();
        lru_.pop_front();
        in_lru_[static_cast<size_t>(id)] = 0;
        cached_[static_cast<size_t>(id)] = 0;
        if (on_evict_) on_evict_(id);
    } else {
        return std::nullopt;
    }
    refs_[static_cast<size_t>(id)] = 1;
    return id;
}

std::optional<std::vector<BlockId>> BlockPool::allocate(int n) {
    if (n < 0 || n > free_count()) return std::nullopt;
    std::vector<BlockId> ids;
    ids.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) ids.push_back(*allocate());
    return ids;
}

void BlockPool::retain(BlockId id) {
    const size_t i = static_cast<size_t>(id);
    if (in_lru_[i]) {
        lru_.erase(lru_pos_[i]);
        in_lru_[i] = 0;
    }
    ++refs_[i];
}

void BlockPool::release(BlockId id) {
    const size_t i = static_cast<size_t>(id);
    int32_t& r = refs_[i];
    if (r <= 0) return;  // double release is a caller bug; never corrupt the lists
    if (--r > 0) return;
    if (cached_[i]) {
        lru_pos_[i] = lru_.insert(lru_.end(), id);
        in_lru_[i] = 1;
    } else {
        free_.push_back(id);
    }
}

}  // namespace clawbot
