#pragma once
// Content addresses of full KV blocks. A block's hash chains its parent's
// hash with its tokens, so equal hashes mean equal whole prefixes; the
// tokens and parent are kept too, so a hash collision can never hand out
// the wrong cache.
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/kv/block_pool.h"

namespace clawbot {

using PrefixHash = uint64_t;
inline constexpr PrefixHash kRootPrefixHash = 0x9e3779b97f4a7c15ull;

PrefixHash chain_hash(PrefixHash parent, std::span<const int32_t> tokens);

class PrefixIndex {
public:
    explicit PrefixIndex(int n_blocks) : entries_(static_cast<size_t>(n_blocks)) {}

    std::optional<BlockId> find(PrefixHash hash, PrefixHash parent, std::span<const int32_t> tokens) const;
    // Indexes a block; false (and nothing changes) when the hash is taken.
    bool insert(PrefixHash hash, PrefixHash parent, std::span<const int32_t> tokens, BlockId block);
    void erase(BlockId block);
    size_t size() const { return by_hash_.size(); }

private:
    struct Entry {
        bool used = false;
        PrefixHash hash = 0;
        PrefixHash parent = 0;
        std::vector<int32_t> tokens;
    };
    std::unordered_map<PrefixHash, BlockId> by_hash_;
    std::vector<Entry> entries_;  // by block id
};

}  // namespace clawbot
