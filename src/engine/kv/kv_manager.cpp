#include "engine/kv/kv_manager.h"

#include <vector>

namespace clawbot {

KvManager::KvManager(int n_blocks, int block_size) : pool_(n_blocks), index_(n_blocks), block_size_(block_size) {
    pool_.on_evict([this](BlockId id) { index_.erase(id); });
}

std::optional<Reservation> KvManager::reserve(std::span<const int32_t> prompt, int total_tokens) {
    Reservation r;
    const int reusable = prompt.empty() ? 0 : (static_cast<int>(prompt.size()) - 1) / block_size_;
    int unreferenced_hits = 0;  // cached blocks that stop being available once reused
    for (int b = 0; b < reusable; ++b) {
        const auto tokens = prompt.subspan(static_cast<size_t>(b) * block_size_, static_cast<size_t>(block_size_));
        const PrefixHash hash = chain_hash(r.prefix.last_hash, tokens);
        const auto block = index_.find(hash, r.prefix.last_hash, tokens);
        if (!block) break;
        r.table.blocks.push_back(*block);
        r.prefix.last_hash = hash;
        unreferenced_hits += pool_.ref_count(*block) == 0;
    }
    const int fresh = blocks_for(total_tokens) - static_cast<int>(r.table.blocks.size());
    if (fresh > pool_.free_count() - unreferenced_hits) return std::nullopt;
    for (BlockId b : r.table.blocks) pool_.retain(b);
    auto blocks = pool_.allocate(fresh);  // cannot fail: counted above
    r.table.blocks.insert(r.table.blocks.end(), blocks->begin(), blocks->end());
    r.prefix.published_blocks = static_cast<int>(r.table.blocks.size()) - fresh;
    r.cached_tokens = r.prefix.published_blocks * block_size_;
    return r;
}

void KvManager::publish(std::span<const int32_t> tokens, int n_computed, const BlockTable& table, PrefixState& state) {
    const int full = std::min(n_computed / block_size_, static_cast<int>(table.blocks.size()));
    for (int b = state.published_blocks; b < full; ++b) {
        const auto block_tokens = tokens.subspan(static_cast<size_t>(b) * block_size_, static_cast<size_t>(block_size_));
        const PrefixHash hash = chain_hash(state.last_hash, block_tokens);
        const BlockId id = table.blocks[static_cast<size_t>(b)];
        if (index_.insert(hash, state.last_hash, block_tokens, id)) pool_.set_cached(id, true);
        state.last_hash = hash;
        state.published_blocks = b + 1;
    }
}

void KvManager::release(BlockTable& table) {
    for (BlockId b : table.blocks) pool_.release(b);
    table.blocks.clear();
}

}  // namespace clawbot
