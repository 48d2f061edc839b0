#pragma once
// Cuts raw text at occurrences of special tokens before tokenization, the
// way llama.cpp does: special tokens are taken longest first, each one over
// all remaining text, so a longer token is never broken by a shorter one.
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "engine/common/byte_range.h"
#include "engine/tokenizer/vocab.h"

namespace clawbot {

struct Fragment {
    TokenId token = -1;  // a special token, or -1 for text[begin, begin + length)
    size_t begin = 0;
    size_t length = 0;

    bool is_text() const { return token < 0; }
};

// Without parse_special only user-defined tokens are matched (they are part
// of the vocabulary's normal text); control and unknown ones stay text.
// With it, control and unknown tokens are still not matched where their
// text would overlap one of `plain_ranges` (byte ranges of `text`, in any
// order): text there is read as if parse_special were off, while the text
// around it stays one fragment, tokenized as it would be without ranges.
std::vector<Fragment> split_special_tokens(const Vocab& vocab, std::string_view text, bool parse_special,
                                           std::span<const ByteRange> plain_ranges = {});

}  // namespace clawbot
