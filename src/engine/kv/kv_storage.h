#pragma once
// The memory behind the paged KV cache: for every layer, keys and values of
// every slot of every block, in F16 (as the reference's default cache).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/kv/block_pool.h"

namespace clawbot {

struct KvLayout {
    int n_layers = 0;
    int kv_dim = 0;       // n_kv_heads * head_dim
    int block_size = 16;  // tokens per block
    int n_blocks = 0;
};

class KvStorage {
public:
    explicit KvStorage(const KvLayout& layout);

    const KvLayout& layout() const { return layout_; }
    size_t bytes() const { return (keys_.size() + values_.size()) * sizeof(uint16_t); }

    // kv_dim F16 values of one token's key/value in `layer`.
    uint16_t* key(int layer, BlockId block, int slot) { return keys_.data() + offset(layer, block, slot); }
    uint16_t* value(int layer, BlockId block, int slot) { return values_.data() + offset(layer, block, slot); }
    const uint16_t* key(int layer, BlockId block, int slot) const { return keys_.data() + offset(layer, block, slot); }
    const uint16_t* value(int layer, BlockId block, int slot) const { return values_.data() + offset(layer, block, slot); }

private:
    size_t offset(int layer, BlockId block, int slot) const {
        return ((static_cast<size_t>(layer) * static_cast<size_t>(layout_.n_blocks) + static_cast<size_t>(block)) *
                    static_cast<size_t>(layout_.block_size) + static_cast<size_t>(slot)) * static_cast<size_t>(layout_.kv_dim);
    }

    KvLayout layout_;
    std::vector<uint16_t> keys_;
    std::vector<uint16_t> values_;
};

}  // namespace clawbot
