#pragma once
// A vocabulary's token bytes as a trie, laid out in depth-first order so that
// a grammar mask is one forward scan that skips whole subtrees once no parse
// survives their prefix. Built once per tokenizer; immutable and shareable.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace clawbot {

class TokenTrie {
public:
    enum class Kind : uint8_t {
        kText,      // its bytes go through the grammar
        kEndOfGen,  // allowed when the grammar can end
        kNever,     // control and unknown tokens, tokens without bytes
    };
    // One node per distinct byte prefix, in depth-first order; the root is
    // implicit (depth 0). Node i's tokens are tokens()[node(i).tok_begin ..
    // node(i+1).tok_begin); a sentinel node ends the array.
    struct Node {
        uint32_t skip;       // index of the next node outside this subtree
        uint32_t tok_begin;
        TokenId token;       // its first token, or n_vocab() if none (a mask
                             // walk marks it without a branch)
        uint16_t depth;      // 1 for a first byte
        uint8_t byte;
        uint8_t flags;       // kMoreTokens | kNonAscii | kValidUtf8
    };
    static constexpr uint8_t kMoreTokens = 1;  // more tokens than `token` end here
    static constexpr uint8_t kNonAscii = 2;    // a byte >= 0x80 in the subtree
    static constexpr uint8_t kValidUtf8 = 4;   // every piece in the subtree is valid UTF-8
                                               // (a trailing partial character included)
    // The ASCII bytes in a node's subtree, its own byte included: a mask
    // walk takes a whole subtree at once when every one of them keeps the
    // grammar where it is (the inside of a string literal).
    struct AsciiBytes {
        uint64_t lo, hi;  // bytes 0-63, 64-127
    };

    // with_control_text: control tokens (not end-of-generation ones) are
    // text, their rendered markers, instead of never allowed.
    static TokenTrie from_tokenizer(const Tokenizer& tokenizer, bool with_control_text = false);
    // pieces[id] and kinds[id] for every token id (same sizes).
    TokenTrie(std::vector<std::string> pieces, std::vector<Kind> kinds);

    int32_t n_vocab() const { return static_cast<int32_t>(kinds_.size()); }
    Kind kind(TokenId id) const { return kinds_[static_cast<size_t>(id)]; }
    std::string_view piece(TokenId id) const;
    std::span<const TokenId> end_of_generation() const { return eog_; }

    std::span<const Node> nodes() const { return nodes_; }  // sentinel included
    std::span<const AsciiBytes> subtree_bytes() const { return subtree_bytes_; }
    std::span<const TokenId> tokens() const { return sorted_; }
    uint16_t max_depth() const { return max_depth_; }

private:
    void summarize();

    std::vector<Kind> kinds_;
    std::string bytes_;
    std::vector<uint32_t> piece_begin_;  // piece(id) = bytes_[piece_begin_[id] .. piece_begin_[id+1])
    std::vector<TokenId> eog_;
    std::vector<Node> nodes_;
    std::vector<AsciiBytes> subtree_bytes_;
    std::vector<TokenId> sorted_;  // text tokens by piece
    uint16_t max_depth_ = 0;
};

}  // namespace clawbot
