#include "engine/tokenizer/special_splitter.h"

namespace clawbot {

namespace {

bool is_ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Splits one text fragment at every occurrence of `id`'s text, appending the
// pieces to `out`. Strip flags make the token swallow adjacent whitespace.
void split_fragment(const Vocab& vocab, std::string_view text, TokenId id, Fragment frag, std::vector<Fragment>& out) {
    const std::string_view needle = vocab.text(id);
    const bool lstrip = vocab.has_attr(id, token_attr::kLStrip);
    const bool rstrip = vocab.has_attr(id, token_attr::kRStrip);
    size_t begin = frag.begin;
    size_t end = frag.begin + frag.length;
    while (begin < end) {
        const size_t match = text.substr(0, end).find(needle, begin);
        if (match == std::string_view::npos) break;
        size_t left_end = match;
        if (lstrip) {
            while (left_end > begin && is_ascii_space(text[left_end - 1])) --left_end;
        }
        if (left_end > begin) out.push_back({-1, begin, left_end - begin});
        out.push_back({id, 0, 0});
        begin = match + needle.size();
        if (rstrip) {
            while (begin < end && is_ascii_space(text[begin])) ++begin;
        }
    }
    if (begin < end) out.push_back({-1, begin, end - begin});
}

}  // namespace

std::vector<Fragment> split_special_tokens(const Vocab& vocab, std::string_view text, bool parse_special) {
    std::vector<Fragment> fragments;
    if (text.empty()) return fragments;
    fragments.push_back({-1, 0, text.size()});
    std::vector<Fragment> next;
    for (const TokenId id : vocab.special_tokens) {
        if (!parse_special && vocab.has_attr(id, token_attr::kControl | token_attr::kUnknown)) continue;
        // Cheap rejection: most special tokens never occur in a given text.
        if (text.find(vocab.text(id)) == std::string_view::npos) continue;
        next.clear();
        for (const Fragment& f : fragments) {
            if (f.is_text()) {
                split_fragment(vocab, text, id, f, next);
            } else {
                next.push_back(f);
            }
        }
        fragments.swap(next);
    }
    return fragments;
}

}  // namespace clawbot
