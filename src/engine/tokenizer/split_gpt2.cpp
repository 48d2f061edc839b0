// GPT-2's pattern, matched the way llama.cpp's custom splitter does; a
// codepoint nothing matches becomes a piece of its own.
#include "engine/tokenizer/split_rules.h"

namespace clawbot::split {

namespace {

bool is_contraction_tail(uint32_t a) { return a == 's' || a == 't' || a == 'm' || a == 'd'; }

bool is_contraction_tail(uint32_t a, uint32_t b) {
    return (a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l');
}

}  // namespace

void split_gpt2(const ClassifiedText& text, size_t begin, size_t end, Chunks& out) {
    const auto& cps = text.cps;
    // Past the chunk a position has no class at all, like the regex's end of input.
    const auto cls = [&](size_t i) { return i < end ? text.cls[i] : unicode::CharClass{}; };
    const auto is_letter = [&](size_t i) { return cls(i).letter; };
    const auto is_number = [&](size_t i) { return cls(i).number; };
    const auto is_other = [&](size_t i) {
        const auto c = cls(i);
        return i < end && !c.whitespace && !c.letter && !c.number;
    };

    size_t pos = begin;
    const auto emit = [&](size_t to) {
        out.push_back({pos, to});
        pos = to;
    };
    const auto run_end = [&](size_t from, auto&& in_run) {
        while (in_run(from)) ++from;
        return from;
    };

    while (pos < end) {
        const uint32_t cp = cps[pos];
        if (cp == '\'' && pos + 1 < end) {
            if (is_contraction_tail(cps[pos + 1])) {
                emit(pos + 2);
                continue;
            }
            if (pos + 2 < end && is_contraction_tail(cps[pos + 1], cps[pos + 2])) {
                emit(pos + 3);
                continue;
            }
        }
        // " ?X+": a single leading space joins the run that follows it.
        const size_t first = cp == ' ' ? pos + 1 : pos;
        if (is_letter(first)) {
            emit(run_end(first, is_letter));
            continue;
        }
        if (is_number(first)) {
            emit(run_end(first, is_number));
            continue;
        }
        if (is_other(first)) {
            emit(run_end(first, is_other));
            continue;
        }
        const size_t spaces_end = run_end(pos, [&](size_t i) { return cls(i).whitespace; });
        const size_t n_spaces = spaces_end - pos;
        if (n_spaces > 1 && spaces_end < end) {
            emit(spaces_end - 1);  // \s+(?!\S): leave the last space to the next word
        } else if (n_spaces > 0) {
            emit(spaces_end);
        } else {
            emit(pos + 1);
        }
    }
}

}  // namespace clawbot::split
