#include "engine/sample/token_trie.h"

#include <algorithm>
#include <limits>

namespace clawbot {

TokenTrie TokenTrie::from_tokenizer(const Tokenizer& tokenizer) {
    const int32_t n = tokenizer.n_vocab();
    std::vector<std::string> pieces(static_cast<size_t>(n));
    std::vector<Kind> kinds(static_cast<size_t>(n), Kind::kNever);
    for (TokenId id = 0; id < n; ++id) {
        const auto i = static_cast<size_t>(id);
        if (tokenizer.is_eog(id)) {
            kinds[i] = Kind::kEndOfGen;
        } else if (!tokenizer.is_control(id)) {
            // Byte-level BPE symbols and SPM byte tokens come back as raw bytes.
            pieces[i] = tokenizer.token_to_piece(id, false);
            if (!pieces[i].empty()) kinds[i] = Kind::kText;
        }
    }
    return TokenTrie(std::move(pieces), std::move(kinds));
}

TokenTrie::TokenTrie(std::vector<std::string> pieces, std::vector<Kind> kinds) : kinds_(std::move(kinds)) {
    kinds_.resize(pieces.size(), Kind::kNever);
    piece_begin_.reserve(pieces.size() + 1);
    for (size_t id = 0; id < pieces.size(); ++id) {
        // A depth is 16 bits; no real token is that long.
        if (kinds_[id] == Kind::kText &&
            (pieces[id].empty() || pieces[id].size() > std::numeric_limits<uint16_t>::max())) {
            kinds_[id] = Kind::kNever;
        }
        if (kinds_[id] == Kind::kEndOfGen) eog_.push_back(static_cast<TokenId>(id));
        piece_begin_.push_back(static_cast<uint32_t>(bytes_.size()));
        bytes_ += pieces[id];
    }
    piece_begin_.push_back(static_cast<uint32_t>(bytes_.size()));

    for (size_t id = 0; id < kinds_.size(); ++id) {
        if (kinds_[id] == Kind::kText) sorted_.push_back(static_cast<TokenId>(id));
    }
    // Sorting puts a prefix before its extensions and keeps every shared
    // prefix contiguous, so creating nodes in this order is depth-first order.
    std::sort(sorted_.begin(), sorted_.end(), [&](TokenId a, TokenId b) {
        const auto pa = piece(a), pb = piece(b);
        return pa != pb ? pa < pb : a < b;
    });

    std::string_view prev;
    for (size_t k = 0; k < sorted_.size(); ++k) {
        const std::string_view p = piece(sorted_[k]);
        size_t common = 0;
        while (common < p.size() && common < prev.size() && p[common] == prev[common]) ++common;
        // A token whose piece equals the previous one adds no node: it belongs
        // to the node that piece ends at, whose token range runs to the next
        // node's tok_begin.
        for (size_t d = common; d < p.size(); ++d) {
            nodes_.push_back(Node{0, static_cast<uint32_t>(k), static_cast<uint16_t>(d + 1),
                                  static_cast<uint8_t>(p[d])});
        }
        max_depth_ = std::max(max_depth_, static_cast<uint16_t>(p.size()));
        prev = p;
    }
    // skip: the first later node no deeper than this one.
    std::vector<uint32_t> open;
    for (size_t i = 0; i < nodes_.size(); ++i) {
        while (!open.empty() && nodes_[open.back()].depth >= nodes_[i].depth) {
            nodes_[open.back()].skip = static_cast<uint32_t>(i);
            open.pop_back();
        }
        open.push_back(static_cast<uint32_t>(i));
    }
    for (uint32_t i : open) nodes_[i].skip = static_cast<uint32_t>(nodes_.size());
    nodes_.push_back(Node{static_cast<uint32_t>(nodes_.size() + 1), static_cast<uint32_t>(sorted_.size()), 0, 0});
}

std::string_view TokenTrie::piece(TokenId id) const {
    if (id < 0 || static_cast<size_t>(id) >= kinds_.size()) return {};
    const auto i = static_cast<size_t>(id);
    return std::string_view(bytes_).substr(piece_begin_[i], piece_begin_[i + 1] - piece_begin_[i]);
}

}  // namespace clawbot
