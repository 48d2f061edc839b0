#pragma once
// Owns the KV cache's fixed-size blocks: which are free and how many
// sequences reference each. Allocation that can fail returns nullopt.
#include <cstdint>
#include <optional>
#include <vector>

namespace clawbot {

using BlockId = int32_t;

class BlockPool {
public:
    explicit BlockPool(int n_blocks);

    // A free block with one reference, or nullopt when none is free.
    std::optional<BlockId> allocate();
    // n blocks at once, all or nothing.
    std::optional<std::vector<BlockId>> allocate(int n);
    void retain(BlockId id);
    // Drops one reference; the block is free again at zero.
    void release(BlockId id);

    int ref_count(BlockId id) const { return refs_[static_cast<size_t>(id)]; }
    int total() const { return static_cast<int>(refs_.size()); }
    int free_count() const { return static_cast<int>(free_.size()); }

private:
    std::vector<int32_t> refs_;
    std::vector<BlockId> free_;  // stack: most recently freed first
};

// The blocks one sequence owns, in position order: position p lives in
// blocks[p / block_size] at slot p % block_size.
struct BlockTable {
    std::vector<BlockId> blocks;
};

}  // namespace clawbot
