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
        uint16_t depth;      // 1 for a first byte
        uint8_t byte;
        uint8_t unused = 0;
    };

    static TokenTrie from_tokenizer(const Tokenizer& tokenizer);
    // pieces[id] and kinds[id] for every token id (same sizes).
    TokenTrie(std::vector<std::string> pieces, std::vector<Kind> kinds);

    int32_t n_vocab() const { return static_cast<int32_t>(kinds_.size()); }
    Kind kind(TokenId id) const { return kinds_[static_cast<size_t>(id)]; }
    std::string_view piece(TokenId id) const;
    std::span<const TokenId> end_of_generation() const { return eog_; }

    std::span<const Node> nodes() const { return nodes_; }  // sentinel included
    std::span<const TokenId> tokens() const { return sorted_; }
    uint16_t max_depth() const { return max_depth_; }

private:
    std::vector<Kind> kinds_;
    std::string bytes_;
    std::vector<uint32_t> piece_begin_;  // piece(id) = bytes_[piece_begin_[id] .. piece_begin_[id+1])
    std::vector<TokenId> eog_;
    std::vector<Node> nodes_;
    std::vector<TokenId> sorted_;  // text tokens by piece
    uint16_t max_depth_ = 0;
};

}  // namespace clawbot
