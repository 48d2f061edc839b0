#pragma once
// Owns the KV cache's fixed-size blocks: how many sequences reference each,
// which are free, and which unreferenced blocks still hold reusable content
// (kept in least-recently-used order and evicted only when nothing else is
// free). Allocation that can fail returns nullopt.
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <vector>

namespace clawbot {

using BlockId = int32_t;
// A table entry whose block was given back (a sliding-window table's
// positions that no window reaches any more).
inline constexpr BlockId kNoBlock = -1;

class BlockPool {
public:
    explicit BlockPool(int n_blocks);

    // A block with one reference: a never-used one first, else the least
    // recently used cached block (evicted: the eviction callback hears of it).
    std::optional<BlockId> allocate();
    // n blocks at once, all or nothing.
    std::optional<std::vector<BlockId>> allocate(int n);
    // One more reference. A cached unreferenced block leaves the LRU list.
    void retain(BlockId id);
    // One reference less. At zero a cached block joins the LRU list, any
    // other block the free list.
    void release(BlockId id);
    // Marks whether the block's content is indexed for reuse.
    void set_cached(BlockId id, bool cached) { cached_[static_cast<size_t>(id)] = cached; }
    void on_evict(std::function<void(BlockId)> callback) { on_evict_ = std::move(callback); }

    int ref_count(BlockId id) const { return refs_[static_cast<size_t>(id)]; }
    int total() const { return static_cast<int>(refs_.size()); }
    // Blocks allocate() can hand out: free ones plus evictable cached ones.
    int free_count() const { return static_cast<int>(free_.size() + lru_.size()); }
    // Unreferenced blocks whose content is kept for reuse.
    int cached_count() const { return static_cast<int>(lru_.size()); }

private:
    std::vector<int32_t> refs_;
    std::vector<uint8_t> cached_;
    std::vector<BlockId> free_;  // stack: most recently freed first
    std::list<BlockId> lru_;     // cached, unreferenced; front = least recently used
    std::vector<std::list<BlockId>::iterator> lru_pos_;
    std::vector<uint8_t> in_lru_;
    std::function<void(BlockId)> on_evict_;
};

// The blocks one sequence owns, in position order: position p lives in
// blocks[p / block_size] at slot p % block_size (kNoBlock once given back).
struct BlockTable {
    std::vector<BlockId> blocks;
};

}  // namespace clawbot
