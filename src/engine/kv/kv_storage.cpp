#include "engine/kv/kv_storage.h"

namespace clawbot {

KvStorage::KvStorage(const KvLayout& layout) : layout_(layout) {
    const size_t n = static_cast<size_t>(layout.n_layers) * static_cast<size_t>(layout.n_blocks) *
                     static_cast<size_t>(layout.block_size) * static_cast<size_t>(layout.kv_dim);
    keys_.assign(n, 0);
    values_.assign(n, 0);
}

}  // namespace clawbot
