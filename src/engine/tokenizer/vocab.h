#pragma once
// A tokenizer vocabulary as read from tokenizer.ggml.*: token texts, scores
// and attributes, the BPE merges, the special ids and the flags that steer
// encoding. Built once per model, then only read (safe to share across threads).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/result.h"
#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/tokenizer.h"

namespace clawbot {

// Spm: SentencePiece by scores ("llama"); Bpe: byte-level BPE ("gpt2");
// SpBpe: SentencePiece-style BPE ("gemma4"): merges over the characters of
// the text with spaces written as U+2581, byte tokens for the rest.
enum class VocabKind { Spm, Bpe, SpBpe };

// Token attributes are bit flags because llama.cpp adds CONTROL (and strip
// flags) on top of the type a file declares.
namespace token_attr {
inline constexpr uint32_t kNormal = 1u << 0;
inline constexpr uint32_t kUnknown = 1u << 1;
inline constexpr uint32_t kControl = 1u << 2;
inline constexpr uint32_t kUserDefined = 1u << 3;
inline constexpr uint32_t kUnused = 1u << 4;
inline constexpr uint32_t kByte = 1u << 5;
inline constexpr uint32_t kLStrip = 1u << 6;  // swallows whitespace to its left
inline constexpr uint32_t kRStrip = 1u << 7;  // swallows whitespace to its right

// The attribute of a tokenizer.ggml.token_type value (0 for undefined ones).
uint32_t from_token_type(int64_t type);
}  // namespace token_attr

class Vocab {
public:
    struct Merge {
        uint32_t rank = 0;
        TokenId result = -1;
    };

    // Stores the tokens; refuses duplicate texts as llama.cpp does. Empty
    // texts are renamed "[EMPTY_<id>]" so that every token can be looked up.
    static Result<Vocab> create(VocabKind kind, const std::vector<std::string_view>& texts,
                                std::vector<float> scores, std::vector<uint32_t> attrs);

    Vocab(Vocab&&) = default;
    Vocab& operator=(Vocab&&) = default;
    // A copy would keep lookup keys pointing into the original's storage.
    Vocab(const Vocab&) = delete;
    Vocab& operator=(const Vocab&) = delete;

    VocabKind kind() const { return kind_; }
    int32_t size() const { return static_cast<int32_t>(offsets_.size()) - 1; }
    bool valid(TokenId id) const { return id >= 0 && id < size(); }

    std::string_view text(TokenId id) const;
    float score(TokenId id) const { return scores_[static_cast<size_t>(id)]; }
    uint32_t attrs(TokenId id) const { return attrs_[static_cast<size_t>(id)]; }
    bool has_attr(TokenId id, uint32_t attr) const { return (attrs(id) & attr) != 0; }
    void add_attr(TokenId id, uint32_t attr) { attrs_[static_cast<size_t>(id)] |= attr; }
    void set_attrs(TokenId id, uint32_t attr) { attrs_[static_cast<size_t>(id)] = attr; }

    // The token whose text is exactly `text`, or -1.
    TokenId find(std::string_view text) const;

    // SPM byte fallback: "<0xNN>", else the byte as a one-character token, else -1.
    TokenId byte_token(uint8_t byte) const;

    // BPE merges, by the ids of the two halves.
    void add_merge(TokenId left, TokenId right, uint32_t rank);
    const Merge* find_merge(TokenId left, TokenId right) const;
    size_t merge_count() const { return merges_.size(); }

    // Special ids (-1 when the vocabulary has none).
    TokenId bos = -1;
    TokenId eos = -1;
    TokenId eot = -1;
    TokenId eom = -1;
    TokenId unk = -1;
    TokenId pad = -1;

    // Encoding flags.
    bool add_bos = false;
    bool add_eos = false;
    bool add_space_prefix = false;  // SPM: a "▁" before text that starts a fragment
    PreTokenizerSpec pre;           // BPE only

    // Tokens matched in raw text before tokenizing (control, user-defined and
    // unknown ones), longest text first.
    std::vector<TokenId> special_tokens;
    std::unordered_set<TokenId> end_of_generation;

private:
    Vocab() = default;
    static uint64_t merge_key(TokenId left, TokenId right) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
    }

    VocabKind kind_ = VocabKind::Spm;
    // All texts back to back; vector<char> so moves never relocate the bytes
    // the string_view keys of ids_ point into.
    std::vector<char> arena_;
    std::vector<uint32_t> offsets_;  // text of id i is arena_[offsets_[i], offsets_[i + 1])
    std::vector<float> scores_;
    std::vector<uint32_t> attrs_;
    std::unordered_map<std::string_view, TokenId> ids_;
    std::unordered_map<uint64_t, Merge> merges_;
};

}  // namespace clawbot
