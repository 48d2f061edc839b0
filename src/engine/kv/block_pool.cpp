#include "engine/kv/block_pool.h"

namespace clawbot {

BlockPool::BlockPool(int n_blocks) : refs_(static_cast<size_t>(n_blocks), 0) {
    free_.reserve(static_cast<size_t>(n_blocks));
    for (int i = n_blocks - 1; i >= 0; --i) free_.push_back(i);
}

std::optional<BlockId> BlockPool::allocate() {
    if (free_.empty()) return std::nullopt;
    const BlockId id = free_.back();
    free_.pop_back();
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

void BlockPool::retain(BlockId id) { ++refs_[static_cast<size_t>(id)]; }

void BlockPool::release(BlockId id) {
    int32_t& r = refs_[static_cast<size_t>(id)];
    if (r <= 0) return;  // double release is a caller bug; never corrupt the free list
    if (--r == 0) free_.push_back(id);
}

}  // namespace clawbot
