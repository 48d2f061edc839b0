#include "engine/kv/kv_manager.h"

namespace clawbot {

std::optional<BlockTable> KvManager::reserve(int n_tokens) {
    auto blocks = pool_.allocate(blocks_for(n_tokens));
    if (!blocks) return std::nullopt;
    return BlockTable{std::move(*blocks)};
}

void KvManager::release(BlockTable& table) {
    for (BlockId b : table.blocks) pool_.release(b);
    table.blocks.clear();
}

}  // namespace clawbot
