#pragma once
// The KV blocks of the sliding-window layers (Gemma 3's local layers). A
// sequence needs only the positions its next step's window reaches, so it
// holds a short run of blocks: it takes new ones as it advances and gives
// back those behind every window it still needs. Full blocks are indexed
// under the same chained hashes as the full-context pool's; given back,
// an indexed block stays cached (LRU) until evicted, so a later request
// can reuse a prefix whose last window is still here.
//
// Each sequence is charged, at reservation, the most blocks it can hold at
// once (its quota), and the charges never add up to more than the pool: a
// running sequence always finds its next block, whoever shares its blocks.
#include <optional>
#include <span>

#include "engine/kv/block_pool.h"
#include "engine/kv/prefix_index.h"

namespace clawbot {

// One sequence's window blocks. Entries before `given_back` are kNoBlock.
struct WindowTable {
    BlockTable table;
    int given_back = 0;
    int quota = 0;  // most blocks it may hold at once
};

class WindowPool {
public:
    // max_step_tokens: most positions one step computes for one sequence.
    WindowPool(int n_blocks, int block_size, int window, int max_step_tokens);

    // The block indexed under this prefix hash, if still cached.
    std::optional<BlockId> find(PrefixHash hash, PrefixHash parent, std::span<const int32_t> tokens) const {
        return index_.find(hash, parent, tokens);
    }
    // How many leading prompt blocks can be reused, given the cached window
    // block of each (kNoBlock where none): the most k whose last window
    // (the blocks the next position, k * block_size, reads) is all cached.
    int reusable_blocks(std::span<const BlockId> cached) const;
    // A table for a sequence of total_tokens positions whose first
    // cached.size() blocks are reused (from reusable_blocks), or nullopt
    // when the pool cannot take on its quota. Nothing changes on failure.
    std::optional<WindowTable> reserve(std::span<const BlockId> cached, int total_tokens);
    // Blocks for every position before `end`, within the quota; false if
    // that would exceed it (a step longer than max_step_tokens).
    bool extend(WindowTable& w, int end);
    // Gives back the blocks behind every window a step starting at
    // next_pos reads.
    void trim(WindowTable& w, int next_pos);
    // Indexes block `b` of the sequence (a full, computed block) if it holds it.
    void publish(const WindowTable& w, int b, PrefixHash hash, PrefixHash parent, std::span<const int32_t> tokens);
    void release(WindowTable& w);

    int window() const { return window_; }
    int total_blocks() const { return pool_.total(); }
    int free_blocks() const { return pool_.free_count(); }
    int cached_blocks() const { return pool_.cached_count(); }
    // Sum of the quotas of the sequences holding tables.
    int committed_blocks() const { return committed_; }

private:
    int first_needed_block(int next_pos) const;

    BlockPool pool_;
    PrefixIndex index_;
    int block_size_;
    int window_;
    int max_step_tokens_;
    int committed_ = 0;
};

}  // namespace clawbot
