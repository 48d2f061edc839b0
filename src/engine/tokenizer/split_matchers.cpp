// The regex-search rule and the short patterns around the main ones. These
// patterns go through std::regex in llama.cpp, so what they do not match is
// kept as whole stretches rather than single codepoints.
#include "engine/tokenizer/split_rules.h"

namespace clawbot::split {

ClassifiedText::ClassifiedText(const std::vector<uint32_t>& codepoints) : cps(codepoints) {
    cls.reserve(cps.size());
    for (uint32_t cp : cps) cls.push_back(unicode::classify(cp));
}

void split_by_matches(const ClassifiedText& text, size_t begin, size_t end, Matcher match, Chunks& out) {
    size_t unmatched_from = begin;
    size_t pos = begin;
    while (pos < end) {
        const size_t n = match(text, pos, end);
        if (n == 0) {
            ++pos;
            continue;
        }
        if (pos > unmatched_from) out.push_back({unmatched_from, pos});
        out.push_back({pos, pos + n});
        pos += n;
        unmatched_from = pos;
    }
    if (unmatched_from < end) out.push_back({unmatched_from, end});
}

size_t match_one_number(const ClassifiedText& text, size_t pos, size_t /*end*/) {
    return text.cls[pos].number ? 1 : 0;
}

size_t match_number_run(const ClassifiedText& text, size_t pos, size_t end) {
    size_t to = pos;
    while (to < end && text.cls[to].number) ++to;
    return to - pos;
}

size_t match_three_ascii_digits(const ClassifiedText& text, size_t pos, size_t end) {
    if (pos + 3 > end) return 0;
    for (size_t i = pos; i < pos + 3; ++i) {
        if (text.cps[i] < '0' || text.cps[i] > '9') return 0;
    }
    return 3;
}

namespace {

// llama.cpp collapses \p{P} to "non-ASCII punctuation or the ASCII
// punctuation list", and these patterns add most ASCII symbols by hand.
bool in_punctuation_class(const ClassifiedText& text, size_t i, bool with_backtick) {
    const uint32_t cp = text.cps[i];
    if (cp >= 0x80) return text.cls[i].punctuation && !text.cls[i].whitespace;
    if (cp == '`') return with_backtick;
    return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
           (cp >= 0x7B && cp <= 0x7E);
}

size_t punctuation_run(const ClassifiedText& text, size_t pos, size_t end, bool with_backtick) {
    size_t to = pos;
    while (to < end && in_punctuation_class(text, to, with_backtick)) ++to;
    return to - pos;
}

}  // namespace

size_t match_punctuation_run_falcon(const ClassifiedText& text, size_t pos, size_t end) {
    return punctuation_run(text, pos, end, true);
}

size_t match_punctuation_run_default(const ClassifiedText& text, size_t pos, size_t end) {
    return punctuation_run(text, pos, end, false);
}

}  // namespace clawbot::split
