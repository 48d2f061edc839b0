#include "engine/kv/window_pool.h"

#include <algorithm>

#include "engine/kv/window_span.h"

namespace clawbot {

WindowPool::WindowPool(int n_blocks, int block_size, int window, int max_step_tokens)
    : pool_(n_blocks), index_(n_blocks), block_size_(block_size), window_(window), max_step_tokens_(max_step_tokens) {
    pool_.on_evict([this](BlockId id) { index_.erase(id); });
}

int WindowPool::first_needed_block(int next_pos) const { return window_start(next_pos, window_) / block_size_; }

int WindowPool::reusable_blocks(std::span<const BlockId> cached) const {
    int best = 0, run = 0;  // run: cached blocks in a row ending at block b
    for (int b = 0; b < static_cast<int>(cached.size()); ++b) {
        run = cached[static_cast<size_t>(b)] == kNoBlock ? 0 : run + 1;
        const int k = b + 1;
        if (run >= k - first_needed_block(k * block_size_)) best = k;
    }
    return best;
}

std::optional<WindowTable> WindowPool::reserve(std::span<const BlockId> cached, int total_tokens) {
    const int quota = window_blocks_per_sequence(window_, block_size_, max_step_tokens_, total_tokens);
    if (committed_ + quota > pool_.total()) return std::nullopt;
    const int k = static_cast<int>(cached.size());
    const int first = std::min(first_needed_block(k * block_size_), k);
    WindowTable w;
    w.quota = quota;
    w.given_back = first;
    w.table.blocks.reserve(static_cast<size_t>((total_tokens + block_size_ - 1) / block_size_));
    w.table.blocks.assign(static_cast<size_t>(first), kNoBlock);
    for (int b = first; b < k; ++b) {
        const BlockId id = cached[static_cast<size_t>(b)];
        pool_.retain(id);
        w.table.blocks.push_back(id);
    }
    committed_ += quota;
    return w;
}

bool WindowPool::extend(WindowTable& w, int end) {
    std::vector<BlockId>& blocks = w.table.blocks;
    const size_t need = static_cast<size_t>((end + block_size_ - 1) / block_size_);
    while (blocks.size() < need) {
        if (static_cast<int>(blocks.size()) - w.given_back >= w.quota) return false;
        // Cannot fail: every sequence's quota is counted in committed_, and
        // committed_ never exceeds the pool.
        const auto id = pool_.allocate();
        if (!id) return false;
        blocks.push_back(*id);
    }
    return true;
}

void WindowPool::trim(WindowTable& w, int next_pos) {
    std::vector<BlockId>& blocks = w.table.blocks;
    const int first = std::min(first_needed_block(next_pos), static_cast<int>(blocks.size()));
    for (int b = w.given_back; b < first; ++b) {
        BlockId& id = blocks[static_cast<size_t>(b)];
        if (id != kNoBlock) pool_.release(id);
        id = kNoBlock;
    }
    w.given_back = std::max(w.given_back, first);
}

void WindowPool::publish(const WindowTable& w, int b, PrefixHash hash, PrefixHash parent, std::span<const int32_t> tokens) {
    if (b < w.given_back || b >= static_cast<int>(w.table.blocks.size())) return;
    const BlockId id = w.table.blocks[static_cast<size_t>(b)];
    if (index_.insert(hash, parent, tokens, id)) pool_.set_cached(id, true);
}

void WindowPool::release(WindowTable& w) {
    for (BlockId id : w.table.blocks) {
        if (id != kNoBlock) pool_.release(id);
    }
    committed_ -= w.quota;
    w = WindowTable{};
}

}  // namespace clawbot
