#include "engine/sample/token_trie.h"

#include <algorithm>
#include <limits>

namespace clawbot {

TokenTrie TokenTrie::from_tokenizer(const Tokenizer& tokenizer, bool with_control_text) {
    const int32_t n = tokenizer.n_vocab();
    std::vector<std::string> pieces(static_cast<size_t>(n));
    std::vector<Kind> kinds(static_cast<size_t>(n), Kind::kNever);
    for (TokenId id = 0; id < n; ++id) {
        const auto i = static_cast<size_t>(id);
        if (tokenizer.is_eog(id)) {
            kinds[i] = Kind::kEndOfGen;
        } else if (with_control_text || !tokenizer.is_control(id)) {
            // Byte-level BPE symbols and SPM byte tokens come back as raw bytes.
            pieces[i] = tokenizer.token_to_piece(id, with_control_text);
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
            nodes_.push_back(Node{0, static_cast<uint32_t>(k), n_vocab(), static_cast<uint16_t>(d + 1),
                                  static_cast<uint8_t>(p[d]), 0});
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
    nodes_.push_back(Node{static_cast<uint32_t>(nodes_.size() + 1), static_cast<uint32_t>(sorted_.size()), n_vocab(), 0,
                          0, 0});
    for (size_t i = 0; i + 1 < nodes_.size(); ++i) {
        const uint32_t count = nodes_[i + 1].tok_begin - nodes_[i].tok_begin;
        if (count > 0) nodes_[i].token = sorted_[nodes_[i].tok_begin];
        if (count > 1) nodes_[i].flags |= kMoreTokens;
    }
    summarize();
}

namespace {

// UTF-8 decoding one byte at a time, with the matcher's rules: a partial
// character is fine while some valid character can still complete it.
struct Utf8Prefix {
    uint32_t cp = 0;   // bits so far
    unsigned need = 0, len = 0;
    bool ok = true;

    Utf8Prefix next(uint8_t b) const {
        static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
        Utf8Prefix n = *this;
        if (!ok) return n;
        if (need == 0) {
            if (b < 0x80) return Utf8Prefix{b, 0, 1, true};
            if (b >= 0xC2 && b <= 0xDF) {
                n.cp = b & 0x1Fu, n.len = 2;
            } else if (b >= 0xE0 && b <= 0xEF) {
                n.cp = b & 0x0Fu, n.len = 3;
            } else if (b >= 0xF0 && b <= 0xF4) {
                n.cp = b & 0x07u, n.len = 4;
            } else {
                n.ok = false;
                return n;
            }
            n.need = n.len - 1;
        } else {
            if ((b & 0xC0) != 0x80) {
                n.ok = false;
                return n;
            }
            n.cp = (cp << 6) | (b & 0x3Fu);
            --n.need;
        }
        const unsigned shift = 6 * n.need;
        const uint32_t lo = std::max(n.cp << shift, kMin[n.len]);
        const uint32_t hi = std::min((n.cp << shift) | ((1u << shift) - 1), 0x10FFFFu);
        // Nothing left but overlong forms, surrogates or values past U+10FFFF.
        if (lo > hi || (lo >= 0xD800 && hi <= 0xDFFF)) n.ok = false;
        return n;
    }
};

}  // namespace

void TokenTrie::summarize() {
    const size_t n = nodes_.size() - 1;
    subtree_bytes_.assign(n + 1, AsciiBytes{0, 0});
    // Down: each node's own byte and whether the path to it decodes.
    std::vector<Utf8Prefix> at_depth(size_t{max_depth_} + 1);
    for (size_t i = 0; i < n; ++i) {
        Node& nd = nodes_[i];
        const Utf8Prefix p = at_depth[nd.depth - 1u].next(nd.byte);
        at_depth[nd.depth] = p;
        if (p.ok) nd.flags |= kValidUtf8;
        if (nd.byte >= 0x80) {
            nd.flags |= kNonAscii;
        } else if (nd.byte < 64) {
            subtree_bytes_[i].lo = uint64_t{1} << nd.byte;
        } else {
            subtree_bytes_[i].hi = uint64_t{1} << (nd.byte - 64);
        }
    }
    // Up: fold each subtree into its root (children come after their parent).
    for (size_t i = n; i-- > 0;) {
        Node& nd = nodes_[i];
        for (size_t c = i + 1; c < nd.skip; c = nodes_[c].skip) {
            subtree_bytes_[i].lo |= subtree_bytes_[c].lo;
            subtree_bytes_[i].hi |= subtree_bytes_[c].hi;
            nd.flags |= nodes_[c].flags & kNonAscii;
            if (!(nodes_[c].flags & kValidUtf8)) nd.flags &= static_cast<uint8_t>(~kValidUtf8);
        }
    }
}

std::string_view TokenTrie::piece(TokenId id) const {
    if (id < 0 || static_cast<size_t>(id) >= kinds_.size()) return {};
    const auto i = static_cast<size_t>(id);
    return std::string_view(bytes_).substr(piece_begin_[i], piece_begin_[i + 1] - piece_begin_[i]);
}

}  // namespace clawbot
