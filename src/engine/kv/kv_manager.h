#pragma once
// The scheduler's only view of the KV cache. reserve() reuses every full
// block of a prompt's prefix that is already cached (a conversation's
// history, a shared system prompt) and reserves the rest of what the
// request may ever need, all or nothing, so a running request never runs
// out of KV. publish() indexes blocks as they fill; release() returns a
// sequence's blocks, whose indexed content stays cached until evicted.
#include <optional>
#include <span>

#include "engine/kv/block_pool.h"
#include "engine/kv/prefix_index.h"

namespace clawbot {

// A sequence's progress in indexing its own full blocks.
struct PrefixState {
    int published_blocks = 0;
    PrefixHash last_hash = kRootPrefixHash;
};

struct Reservation {
    BlockTable table;
    int cached_tokens = 0;  // leading prompt tokens whose K/V are already there
    PrefixState prefix;
};

class KvManager {
public:
    KvManager(int n_blocks, int block_size);

    int blocks_for(int n_tokens) const { return (n_tokens + block_size_ - 1) / block_size_; }
    // Blocks for total_tokens positions, reusing cached blocks of `prompt`'s
    // prefix (always leaving its last token to compute, so there are logits
    // to sample from). nullopt when too few blocks are available.
    std::optional<Reservation> reserve(std::span<const int32_t> prompt, int total_tokens);
    // Indexes the blocks of `tokens` that are full and computed.
    void publish(std::span<const int32_t> tokens, int n_computed, const BlockTable& table, PrefixState& state);
    void release(BlockTable& table);

    int block_size() const { return block_size_; }
    int total_blocks() const { return pool_.total(); }
    int free_blocks() const { return pool_.free_count(); }
    int cached_blocks() const { return pool_.cached_count(); }

private:
    BlockPool pool_;
    PrefixIndex index_;
    int block_size_;
};

}  // namespace clawbot
