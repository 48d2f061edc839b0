// Llama 3's pattern and its Qwen variants. llama.cpp runs Llama 3's through a
// custom splitter and Qwen's through std::regex on category-collapsed text;
// both reduce to the same leftmost-alternative logic written here.
#include "engine/tokenizer/split_rules.h"

namespace clawbot::split {

namespace {

struct Variant {
    size_t max_digits;    // \p{N}{1,3} or \p{N}
    bool marks_in_words;  // [\p{L}\p{M}]+ instead of \p{L}+
};

uint32_t ascii_lower(uint32_t cp) { return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp; }

bool is_newline(uint32_t cp) { return cp == '\r' || cp == '\n'; }

// (?i:'s|'t|'re|'ve|'m|'ll|'d): length of the contraction at pos, or 0.
size_t contraction_length(const std::vector<uint32_t>& cps, size_t pos, size_t end) {
    if (cps[pos] != '\'' || pos + 1 >= end) return 0;
    const uint32_t a = ascii_lower(cps[pos + 1]);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (pos + 2 >= end) return 0;
    const uint32_t b = ascii_lower(cps[pos + 2]);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

void split_llama3_variant(const ClassifiedText& text, size_t begin, size_t end, Variant v, Chunks& out) {
    const auto& cps = text.cps;
    const auto cls = [&](size_t i) { return i < end ? text.cls[i] : unicode::CharClass{}; };
    const auto in_word = [&](size_t i) {
        const auto c = cls(i);
        return c.letter || (v.marks_in_words && c.mark);
    };
    const auto is_number = [&](size_t i) { return cls(i).number; };
    const auto is_other = [&](size_t i) {
        const auto c = cls(i);
        return i < end && !c.whitespace && !c.letter && !c.number && !(v.marks_in_words && c.mark);
    };

    size_t pos = begin;
    const auto emit = [&](size_t to) {
        out.push_back({pos, to});
        pos = to;
    };

    while (pos < end) {
        const uint32_t cp = cps[pos];
        if (const size_t n = contraction_length(cps, pos, end)) {
            emit(pos + n);
            continue;
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+ : one leading non-letter may open a word.
        if (!is_newline(cp) && !is_number(pos) && (in_word(pos) || in_word(pos + 1))) {
            size_t to = pos + 1;
            while (in_word(to)) ++to;
            emit(to);
            continue;
        }
        if (is_number(pos)) {
            size_t to = pos;
            while (to - pos < v.max_digits && is_number(to)) ++to;
            emit(to);
            continue;
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        const size_t first = cp == ' ' ? pos + 1 : pos;
        if (is_other(first)) {
            size_t to = first;
            while (is_other(to)) ++to;
            while (to < end && is_newline(cps[to])) ++to;
            emit(to);
            continue;
        }
        size_t spaces_end = pos;
        size_t last_newline_end = 0;  // \s*[\r\n]+ ends after the run's last newline
        while (cls(spaces_end).whitespace) {
            if (is_newline(cps[spaces_end])) last_newline_end = spaces_end + 1;
            ++spaces_end;
        }
        if (last_newline_end > 0) {
            emit(last_newline_end);
        } else if (spaces_end - pos > 1 && spaces_end < end) {
            emit(spaces_end - 1);  // \s+(?!\S)
        } else if (spaces_end > pos) {
            emit(spaces_end);
        } else {
            emit(pos + 1);
        }
    }
}

}  // namespace

void split_llama3(const ClassifiedText& text, size_t begin, size_t end, Chunks& out) {
    split_llama3_variant(text, begin, end, {3, false}, out);
}

void split_qwen2(const ClassifiedText& text, size_t begin, size_t end, Chunks& out) {
    split_llama3_variant(text, begin, end, {1, false}, out);
}

void split_qwen35(const ClassifiedText& text, size_t begin, size_t end, Chunks& out) {
    split_llama3_variant(text, begin, end, {1, true}, out);
}

}  // namespace clawbot::split
