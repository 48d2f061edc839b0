#pragma once
// The building blocks of the pre-tokenizers: each rule cuts one chunk of
// text into smaller chunks, and a pre-tokenizer is a pipeline of rules
// applied to every chunk the previous rule produced.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/unicode_class.h"

namespace clawbot::split {

// The text under pre-tokenization, with every codepoint's class looked up once.
struct ClassifiedText {
    const std::vector<uint32_t>& cps;
    std::vector<unicode::CharClass> cls;

    explicit ClassifiedText(const std::vector<uint32_t>& codepoints);
};

using Chunks = std::vector<WordSpan>;

// A rule appends the pieces of text[begin, end) to `out`, in order.
using Rule = void (*)(const ClassifiedText& text, size_t begin, size_t end, Chunks& out);

// Length of a pattern match starting at `pos`, 0 for none; never looks at
// or past `end` (the chunk ends there, as a regex's input would).
using Matcher = size_t (*)(const ClassifiedText& text, size_t pos, size_t end);

// How std::regex_iterator splits a chunk: every match is a piece and the
// unmatched stretches between matches are pieces too.
void split_by_matches(const ClassifiedText& text, size_t begin, size_t end, Matcher match, Chunks& out);

// GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
void split_gpt2(const ClassifiedText& text, size_t begin, size_t end, Chunks& out);

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
void split_llama3(const ClassifiedText& text, size_t begin, size_t end, Chunks& out);
// Same with \p{N} instead of \p{N}{1,3}.
void split_qwen2(const ClassifiedText& text, size_t begin, size_t end, Chunks& out);
// Qwen2's with [\p{L}\p{M}]+ for words and \p{M} excluded from punctuation runs.
void split_qwen35(const ClassifiedText& text, size_t begin, size_t end, Chunks& out);

// Matchers for the simple patterns some pipelines start or end with.
size_t match_one_number(const ClassifiedText& text, size_t pos, size_t end);       // \p{N}
size_t match_number_run(const ClassifiedText& text, size_t pos, size_t end);       // \p{N}+
size_t match_three_ascii_digits(const ClassifiedText& text, size_t pos, size_t end);  // [0-9]{3}
// [\p{P}\$\+<=>\^~\|`]+ (Falcon) and the same without the backtick (default).
size_t match_punctuation_run_falcon(const ClassifiedText& text, size_t pos, size_t end);
size_t match_punctuation_run_default(const ClassifiedText& text, size_t pos, size_t end);

// DeepSeek LLM's six patterns, in pipeline order.
size_t match_deepseek_newline(const ClassifiedText& text, size_t pos, size_t end);
size_t match_deepseek_letters(const ClassifiedText& text, size_t pos, size_t end);
size_t match_deepseek_punctuation(const ClassifiedText& text, size_t pos, size_t end);
size_t match_deepseek_trailing_space(const ClassifiedText& text, size_t pos, size_t end);
size_t match_deepseek_cjk(const ClassifiedText& text, size_t pos, size_t end);

// DeepSeek Coder's \s?\p{L}+ and \s?\p{P}+, as llama.cpp runs them on its
// category-collapsed text: \p{P} is Unicode punctuation, which in ASCII
// leaves out the symbols $ + < = > ^ ` | ~.
size_t match_coder_letters(const ClassifiedText& text, size_t pos, size_t end);
size_t match_coder_punctuation(const ClassifiedText& text, size_t pos, size_t end);

}  // namespace clawbot::split
