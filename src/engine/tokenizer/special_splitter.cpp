#include "engine/tokenizer/special_splitter.h"

#include <algorithm>

namespace clawbot {

namespace {

bool is_ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Byte ranges where control tokens may not be matched: sorted, merged.
class PlainRanges {
public:
    PlainRanges(std::span<const ByteRange> ranges, size_t text_size) {
        for (const ByteRange& r : ranges) {
            const ByteRange clamped{std::min(r.begin, text_size), std::min(r.end, text_size)};
            if (!clamped.empty()) ranges_.push_back(clamped);
        }
        std::sort(ranges_.begin(), ranges_.end(), [](const ByteRange& a, const ByteRange& b) {
            return a.begin < b.begin;
        });
        std::vector<ByteRange> merged;
        for (const ByteRange& r : ranges_) {
            if (!merged.empty() && r.begin <= merged.back().end) {
                merged.back().end = std::max(merged.back().end, r.end);
            } else {
                merged.push_back(r);
            }
        }
        ranges_.swap(merged);
    }

    // Whether [begin, end) shares a byte with any range.
    bool overlaps(size_t begin, size_t end) const {
        // The first range ending after `begin` is the only candidate.
        const auto it = std::upper_bound(ranges_.begin(), ranges_.end(), begin,
                                         [](size_t pos, const ByteRange& r) { return pos < r.end; });
        return it != ranges_.end() && it->begin < end;
    }

    bool empty() const { return ranges_.empty(); }

private:
    std::vector<ByteRange> ranges_;
};

// Splits one text fragment at every occurrence of `id`'s text, appending the
// pieces to `out`. Strip flags make the token swallow adjacent whitespace.
// Matches overlapping `plain` (null: none) are skipped.
void split_fragment(const Vocab& vocab, std::string_view text, TokenId id, Fragment frag, const PlainRanges* plain,
                    std::vector<Fragment>& out) {
    const std::string_view needle = vocab.text(id);
    const bool lstrip = vocab.has_attr(id, token_attr::kLStrip);
    const bool rstrip = vocab.has_attr(id, token_attr::kRStrip);
    size_t begin = frag.begin;
    size_t end = frag.begin + frag.length;
    size_t search = begin;
    while (search < end) {
        const size_t match = text.substr(0, end).find(needle, search);
        if (match == std::string_view::npos) break;
        if (plain != nullptr && plain->overlaps(match, match + needle.size())) {
            search = match + 1;
            continue;
        }
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
        search = begin;
    }
    if (begin < end) out.push_back({-1, begin, end - begin});
}

}  // namespace

std::vector<Fragment> split_special_tokens(const Vocab& vocab, std::string_view text, bool parse_special,
                                           std::span<const ByteRange> plain_ranges) {
    std::vector<Fragment> fragments;
    if (text.empty()) return fragments;
    const PlainRanges plain(parse_special ? plain_ranges : std::span<const ByteRange>(), text.size());
    fragments.push_back({-1, 0, text.size()});
    std::vector<Fragment> next;
    for (const TokenId id : vocab.special_tokens) {
        const bool control = vocab.has_attr(id, token_attr::kControl | token_attr::kUnknown);
        if (!parse_special && control) continue;
        const PlainRanges* skip = control && !plain.empty() ? &plain : nullptr;
        // Cheap rejection: most special tokens never occur in a given text.
        if (text.find(vocab.text(id)) == std::string_view::npos) continue;
        next.clear();
        for (const Fragment& f : fragments) {
            if (f.is_text()) {
                split_fragment(vocab, text, id, f, skip, next);
            } else {
                next.push_back(f);
            }
        }
        fragments.swap(next);
    }
    return fragments;
}

}  // namespace clawbot
