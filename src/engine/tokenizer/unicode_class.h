#pragma once
// The character classes the pre-tokenizer patterns are written in (\p{L},
// \p{N}, \p{M}, \s, ...), answered by utf8proc. Whitespace is the Unicode
// White_Space property, which is what llama.cpp's tables encode for \s.
#include <cstdint>

namespace clawbot::unicode {

struct CharClass {
    bool letter = false;       // \p{L}
    bool number = false;       // \p{N}
    bool mark = false;         // \p{M}
    bool punctuation = false;  // \p{P}
    bool symbol = false;       // \p{S}
    bool whitespace = false;   // \s
};

CharClass classify(uint32_t cp);

}  // namespace clawbot::unicode
