#pragma once
// The scheduler's only view of the KV cache. reserve() reuses every full
// block of a prompt's prefix that is already cached (a conversation's
// history, a shared system prompt) and reserves the rest of what the
// request may ever need, all or nothing, so a running request never runs
// out of KV. publish() indexes blocks as they fill; release() returns a
// sequence's blocks, whose indexed content stays cached until evicted.
//
// A model with sliding-window layers keeps those layers' K/V in a second,
// much smaller pool (WindowPool): before each step extend_window() gives a
// sequence blocks for the positions it computes, after it trim_window()
// gives back those no window reaches any more. Without a window pool both
// are no-ops and everything is as if there were one pool.
#include <memory>
#include <optional>
#include <span>

#include "engine/kv/block_pool.h"
#include "engine/kv/prefix_index.h"
#include "engine/kv/window_pool.h"

namespace clawbot {

// A sequence's progress in indexing its own full blocks.
struct PrefixState {
    int published_blocks = 0;
    PrefixHash last_hash = kRootPrefixHash;
};

// The KV blocks one sequence holds.
struct SequenceKv {
    BlockTable table;    // every position, for the layers that keep them all
    WindowTable window;  // the sliding-window layers' recent positions; empty without a window pool
    PrefixState prefix;
};

struct Reservation {
    SequenceKv kv;
    int cached_tokens = 0;  // leading prompt tokens whose K/V are already there
};

struct WindowPoolOptions {
    int n_blocks = 0;
    int window = 0;           // positions a sliding-window layer sees; 0: no window pool
    int max_step_tokens = 0;  // most positions one step computes for one sequence
};

class KvManager {
public:
    KvManager(int n_blocks, int block_size, const WindowPoolOptions& window = {});

    int blocks_for(int n_tokens) const { return (n_tokens + block_size_ - 1) / block_size_; }
    // Blocks for total_tokens positions, reusing cached blocks of `prompt`'s
    // prefix (always leaving its last token to compute, so there are logits
    // to sample from, and with a window pool only as far as the window
    // blocks of the reused prefix's last window are cached too). nullopt
    // when too few blocks are available.
    std::optional<Reservation> reserve(std::span<const int32_t> prompt, int total_tokens);
    // Before a step computes positions up to `end` (exclusive): window
    // blocks for them. False only if the step is longer than the window
    // pool was sized for.
    bool extend_window(SequenceKv& kv, int end) { return !window_ || window_->extend(kv.window, end); }
    // Indexes the blocks of `tokens` that are full and computed.
    void publish(std::span<const int32_t> tokens, int n_computed, SequenceKv& kv);
    // After a step, with n_computed positions done: gives back the window
    // blocks that the next step's window no longer reaches.
    void trim_window(SequenceKv& kv, int n_computed) {
        if (window_) window_->trim(kv.window, n_computed);
    }
    void release(SequenceKv& kv);

    int block_size() const { return block_size_; }
    int total_blocks() const { return pool_.total(); }
    int free_blocks() const { return pool_.free_count(); }
    int cached_blocks() const { return pool_.cached_count(); }
    // The window pool, or null when the model has no sliding window.
    const WindowPool* window_pool() const { return window_.get(); }

private:
    BlockPool pool_;
    PrefixIndex index_;
    int block_size_;
    std::unique_ptr<WindowPool> window_;
};

}  // namespace clawbot
