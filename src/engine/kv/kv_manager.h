#pragma once
// The scheduler's only view of the KV cache: reserve the blocks a request
// may ever need, release them when it ends. Reservation is all-or-nothing,
// so a running request never runs out of KV.
#include <optional>

#include "engine/kv/block_pool.h"

namespace clawbot {

class KvManager {
public:
    KvManager(int n_blocks, int block_size) : pool_(n_blocks), block_size_(block_size) {}

    int blocks_for(int n_tokens) const { return (n_tokens + block_size_ - 1) / block_size_; }
    // Blocks for n_tokens positions, or nullopt when too few are free.
    std::optional<BlockTable> reserve(int n_tokens);
    void release(BlockTable& table);

    int block_size() const { return block_size_; }
    int total_blocks() const { return pool_.total(); }
    int free_blocks() const { return pool_.free_count(); }

private:
    BlockPool pool_;
    int block_size_;
};

}  // namespace clawbot
