#include "engine/kv/kv_manager.h"

#include <vector>

namespace clawbot {

KvManager::KvManager(int n_blocks, int block_size, const WindowPoolOptions& window)
    : pool_(n_blocks), index_(n_blocks), block_size_(block_size) {
    pool_.on_evict([this](BlockId id) { index_.erase(id); });
    if (window.window > 0) {
        window_ = std::make_unique<WindowPool>(window.n_blocks, block_size, window.window, window.max_step_tokens);
    }
}

std::optional<Reservation> KvManager::reserve(std::span<const int32_t> prompt, int total_tokens) {
    Reservation r;
    BlockTable& table = r.kv.table;
    std::vector<PrefixHash> hashes;
    std::vector<BlockId> window_hits;  // the window block cached for each reused block, or kNoBlock
    const int reusable = prompt.empty() ? 0 : (static_cast<int>(prompt.size()) - 1) / block_size_;
    PrefixHash parent = kRootPrefixHash;
    for (int b = 0; b < reusable; ++b) {
        const auto tokens = prompt.subspan(static_cast<size_t>(b) * block_size_, static_cast<size_t>(block_size_));
        const PrefixHash hash = chain_hash(parent, tokens);
        const auto block = index_.find(hash, parent, tokens);
        if (!block) break;
        table.blocks.push_back(*block);
        hashes.push_back(hash);
        if (window_) window_hits.push_back(window_->find(hash, parent, tokens).value_or(kNoBlock));
        parent = hash;
    }
    // A prefix is only as reusable as the window layers' K/V of its end.
    if (window_) {
        const int reused = window_->reusable_blocks(window_hits);
        table.blocks.resize(static_cast<size_t>(reused));
        window_hits.resize(static_cast<size_t>(reused));
    }
    const int reused = static_cast<int>(table.blocks.size());
    int unreferenced_hits = 0;  // cached blocks that stop being available once reused
    for (BlockId b : table.blocks) unreferenced_hits += pool_.ref_count(b) == 0;
    const int fresh = blocks_for(total_tokens) - reused;
    if (fresh > pool_.free_count() - unreferenced_hits) return std::nullopt;
    if (window_) {
        // The last step that can fail: after it, the full-context pool's share cannot.
        auto window = window_->reserve(window_hits, total_tokens);
        if (!window) return std::nullopt;
        r.kv.window = std::move(*window);
    }
    for (BlockId b : table.blocks) pool_.retain(b);
    auto blocks = pool_.allocate(fresh);  // cannot fail: counted above
    table.blocks.insert(table.blocks.end(), blocks->begin(), blocks->end());
    r.kv.prefix.published_blocks = reused;
    r.kv.prefix.last_hash = reused > 0 ? hashes[static_cast<size_t>(reused - 1)] : kRootPrefixHash;
    r.cached_tokens = reused * block_size_;
    return r;
}

void KvManager::publish(std::span<const int32_t> tokens, int n_computed, SequenceKv& kv) {
    PrefixState& state = kv.prefix;
    const int full = std::min(n_computed / block_size_, static_cast<int>(kv.table.blocks.size()));
    for (int b = state.published_blocks; b < full; ++b) {
        const auto block_tokens = tokens.subspan(static_cast<size_t>(b) * block_size_, static_cast<size_t>(block_size_));
        const PrefixHash hash = chain_hash(state.last_hash, block_tokens);
        const BlockId id = kv.table.blocks[static_cast<size_t>(b)];
        if (index_.insert(hash, state.last_hash, block_tokens, id)) pool_.set_cached(id, true);
        if (window_) window_->publish(kv.window, b, hash, state.last_hash, block_tokens);
        state.last_hash = hash;
        state.published_blocks = b + 1;
    }
}

void KvManager::release(SequenceKv& kv) {
    for (BlockId b : kv.table.blocks) pool_.release(b);
    kv.table.blocks.clear();
    if (window_) window_->release(kv.window);
}

}  // namespace clawbot
