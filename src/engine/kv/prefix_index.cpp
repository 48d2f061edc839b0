#include "engine/kv/prefix_index.h"

#include <algorithm>

namespace clawbot {

PrefixHash chain_hash(PrefixHash parent, std::span<const int32_t> tokens) {
    // splitmix64 steps over (parent, tokens...): cheap and well mixed.
    uint64_t h = parent;
    auto mix = [&h](uint64_t v) {
        h += v + 0x9e3779b97f4a7c15ull;
        uint64_t z = h;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        h = z ^ (z >> 31);
    };
    for (int32_t t : tokens) mix(static_cast<uint32_t>(t));
    mix(tokens.size());
    return h;
}

std::optional<BlockId> PrefixIndex::find(PrefixHash hash, PrefixHash parent, std::span<const int32_t> tokens) const {
    auto it = by_hash_.find(hash);
    if (it == by_hash_.end()) return std::nullopt;
    const Entry& e = entries_[static_cast<size_t>(it->second)];
    if (e.parent != parent || !std::equal(e.tokens.begin(), e.tokens.end(), tokens.begin(), tokens.end())) return std::nullopt;
    return it->second;
}

bool PrefixIndex::insert(PrefixHash hash, PrefixHash parent, std::span<const int32_t> tokens, BlockId block) {
    if (by_hash_.count(hash)) return false;
    Entry& e = entries_[static_cast<size_t>(block)];
    if (e.used) by_hash_.erase(e.hash);
    e.used = true;
    e.hash = hash;
    e.parent = parent;
    e.tokens.assign(tokens.begin(), tokens.end());
    by_hash_.emplace(hash, block);
    return true;
}

void PrefixIndex::erase(BlockId block) {
    Entry& e = entries_[static_cast<size_t>(block)];
    if (!e.used) return;
    by_hash_.erase(e.hash);
    e.used = false;
}

}  // namespace clawbot
