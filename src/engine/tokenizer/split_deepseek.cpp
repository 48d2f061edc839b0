// DeepSeek LLM's pre-tokenizer patterns. llama.cpp runs them through
// std::wregex after replacing non-ASCII whitespace with U+000B, so the
// character classes below are tested on that replaced codepoint.
#include <algorithm>
#include <utility>

#include "engine/tokenizer/split_rules.h"

namespace clawbot::split {

namespace {

using Range = std::pair<uint32_t, uint32_t>;

// The cased letters of DeepSeek's \s?[A-Za-zµÀ-Ö...]+ class, as inclusive
// codepoint ranges in ascending order (transcribed from the model's pattern).
constexpr Range kLetterRanges[] = {
    {0x0041, 0x005A}, {0x0061, 0x007A}, {0x00B5, 0x00B5}, {0x00C0, 0x00D6}, {0x00D8, 0x00F6}, {0x00F8, 0x01BA},
    {0x01BC, 0x01BF}, {0x01C4, 0x0293}, {0x0295, 0x02AF}, {0x0370, 0x0373}, {0x0376, 0x0376}, {0x0377, 0x0377},
    {0x037B, 0x037D}, {0x037F, 0x037F}, {0x0386, 0x0386}, {0x0388, 0x038A}, {0x038C, 0x038C}, {0x038E, 0x03A1},
    {0x03A3, 0x03F5}, {0x03F7, 0x0481}, {0x048A, 0x052F}, {0x0531, 0x0556}, {0x10A0, 0x10C5}, {0x13A0, 0x13F5},
    {0x13F8, 0x13FD}, {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF}, {0x1D00, 0x1D2B}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A},
    {0x1E00, 0x1F15}, {0x1F18, 0x1F1D}, {0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57}, {0x1F59, 0x1F59},
    {0x1F5B, 0x1F5B}, {0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE},
    {0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3}, {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FF4},
    {0x1FF6, 0x1FFC}, {0x2102, 0x2102}, {0x2107, 0x2107}, {0x210A, 0x2113}, {0x2115, 0x2115}, {0x2119, 0x211D},
    {0x2124, 0x2124}, {0x2126, 0x2126}, {0x2128, 0x2128}, {0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139},
    {0x213C, 0x213F}, {0x2145, 0x2149}, {0x214E, 0x214E}, {0x2183, 0x2183}, {0x2184, 0x2184}, {0x2C00, 0x2C7B},
    {0x2C7E, 0x2CE4}, {0x2CEB, 0x2CEE}, {0x2CF2, 0x2CF2}, {0x2CF3, 0x2CF3}, {0xA640, 0xA66D}, {0xA680, 0xA69B},
    {0xA722, 0xA76F}, {0xA771, 0xA787}, {0xA78B, 0xA78E}, {0xAB70, 0xABBF}, {0xFB00, 0xFB06}, {0xFB13, 0xFB17},
    {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A}, {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB}, {0x10C80, 0x10CB2},
    {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};

// \s?[!-/:-~！-／：-～‘-‟　-。]+
constexpr Range kPunctuationRanges[] = {
    {0x0021, 0x002F}, {0x003A, 0x007E}, {0x2018, 0x201F}, {0x3000, 0x3002}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E},
};

// [一-龥ࠀ-一가-퟿]+
constexpr Range kCjkRanges[] = {
    {0x0800, 0x4E00}, {0x4E00, 0x9FA5}, {0xAC00, 0xD7FF},
};

// Range ends ascend in every table, so the first range ending at or after
// cp is the only one that can hold it.
template <size_t N>
bool in_ranges(const Range (&ranges)[N], uint32_t cp) {
    const auto* r = std::lower_bound(std::begin(ranges), std::end(ranges), cp,
                                     [](const Range& range, uint32_t value) { return range.second < value; });
    return r != std::end(ranges) && r->first <= cp;
}

// The codepoint std::wregex sees: non-ASCII whitespace was replaced.
uint32_t as_seen_by_regex(const ClassifiedText& text, size_t i) {
    const uint32_t cp = text.cps[i];
    return cp >= 0x80 && text.cls[i].whitespace ? 0x0B : cp;
}

template <size_t N>
size_t run_in(const Range (&ranges)[N], const ClassifiedText& text, size_t pos, size_t end) {
    size_t to = pos;
    while (to < end && in_ranges(ranges, as_seen_by_regex(text, to))) ++to;
    return to - pos;
}

// \s?[class]+ : an optional whitespace, then at least one class member.
template <size_t N>
size_t optional_space_then_run(const Range (&ranges)[N], const ClassifiedText& text, size_t pos, size_t end) {
    if (text.cls[pos].whitespace && pos + 1 < end) {
        if (const size_t n = run_in(ranges, text, pos + 1, end)) return n + 1;
    }
    return run_in(ranges, text, pos, end);
}

// \p{L} and \p{P} on llama.cpp's collapsed text: ASCII by the Unicode
// category of the character, anything else by its category (whitespace was
// collapsed to \v first, so it is neither).
bool coder_letter(const ClassifiedText& text, size_t i) {
    const uint32_t cp = text.cps[i];
    if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z');
    return text.cls[i].letter && !text.cls[i].whitespace;
}

bool coder_punctuation(const ClassifiedText& text, size_t i) {
    const uint32_t cp = text.cps[i];
    if (cp < 0x80) {
        return (cp >= 0x21 && cp <= 0x23) || (cp >= 0x25 && cp <= 0x2A) || (cp >= 0x2C && cp <= 0x2F) || cp == 0x3A ||
               cp == 0x3B || cp == 0x3F || cp == 0x40 || (cp >= 0x5B && cp <= 0x5D) || cp == 0x5F || cp == 0x7B || cp == 0x7D;
    }
    return text.cls[i].punctuation && !text.cls[i].whitespace;
}

template <bool (*kIn)(const ClassifiedText&, size_t)>
size_t optional_space_then_class_run(const ClassifiedText& text, size_t pos, size_t end) {
    size_t from = pos;
    if (text.cls[pos].whitespace && pos + 1 < end && kIn(text, pos + 1)) from = pos + 1;
    size_t to = from;
    while (to < end && kIn(text, to)) ++to;
    return to == from ? 0 : to - pos;
}

}  // namespace

size_t match_coder_letters(const ClassifiedText& text, size_t pos, size_t end) {
    return optional_space_then_class_run<coder_letter>(text, pos, end);
}

size_t match_coder_punctuation(const ClassifiedText& text, size_t pos, size_t end) {
    return optional_space_then_class_run<coder_punctuation>(text, pos, end);
}

size_t match_deepseek_newline(const ClassifiedText& text, size_t pos, size_t /*end*/) {
    return text.cps[pos] == '\r' || text.cps[pos] == '\n' ? 1 : 0;
}

size_t match_deepseek_letters(const ClassifiedText& text, size_t pos, size_t end) {
    return optional_space_then_run(kLetterRanges, text, pos, end);
}

size_t match_deepseek_punctuation(const ClassifiedText& text, size_t pos, size_t end) {
    return optional_space_then_run(kPunctuationRanges, text, pos, end);
}

size_t match_deepseek_trailing_space(const ClassifiedText& text, size_t pos, size_t end) {
    size_t to = pos;
    while (to < end && text.cls[to].whitespace) ++to;
    return to == end ? end - pos : 0;  // \s+$ : only a run that reaches the end
}

size_t match_deepseek_cjk(const ClassifiedText& text, size_t pos, size_t end) {
    return run_in(kCjkRanges, text, pos, end);
}

}  // namespace clawbot::split
