#include "engine/chat/content_marks.h"

namespace clawbot::chat {
namespace {

// Both marks share their first two bytes; the third tells them apart.
constexpr std::string_view kMarkLead = "\xEF\xB7";
constexpr char kBeginLast = '\x90';
constexpr char kEndLast = '\x91';

// Where the next mark starts at or after `from`, or npos.
std::size_t find_mark(std::string_view text, std::size_t from) {
    for (std::size_t p = text.find(kMarkLead, from); p != std::string_view::npos; p = text.find(kMarkLead, p + 1)) {
        if (p + 2 < text.size() && (text[p + 2] == kBeginLast || text[p + 2] == kEndLast)) return p;
    }
    return std::string_view::npos;
}

}  // namespace

bool has_content_marks(std::string_view text) { return find_mark(text, 0) != std::string_view::npos; }

std::string without_content_marks(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t start = 0;
    for (std::size_t p = find_mark(text, 0); p != std::string_view::npos; p = find_mark(text, start)) {
        out.append(text.substr(start, p - start));
        start = p + kContentBegin.size();
    }
    out.append(text.substr(start));
    return out;
}

std::string mark_content(std::string_view text) {
    if (text.empty()) return {};
    std::string out;
    out.reserve(text.size() + kContentBegin.size() + kContentEnd.size());
    out.append(kContentBegin).append(text).append(kContentEnd);
    return out;
}

std::optional<UnmarkedText> take_content_marks(std::string_view text) {
    UnmarkedText out;
    out.text.reserve(text.size());
    std::size_t depth = 0;
    std::size_t region_begin = 0;
    std::size_t start = 0;
    for (std::size_t p = find_mark(text, 0); p != std::string_view::npos; p = find_mark(text, start)) {
        out.text.append(text.substr(start, p - start));
        start = p + kContentBegin.size();
        if (text[p + 2] == kBeginLast) {
            if (depth++ == 0) region_begin = out.text.size();
            continue;
        }
        if (depth == 0) return std::nullopt;
        if (--depth > 0 || region_begin == out.text.size()) continue;
        // Contents printed back to back make one region.
        if (!out.marked.empty() && out.marked.back().end == region_begin) {
            out.marked.back().end = out.text.size();
        } else {
            out.marked.push_back({region_begin, out.text.size()});
        }
    }
    if (depth != 0) return std::nullopt;
    out.text.append(text.substr(start));
    return out;
}

}  // namespace clawbot::chat
