#include "service/store/page_cursor.h"

#include <charconv>

namespace clawbot::service {

std::string format_page_cursor(const PageCursor& cursor) {
    return std::to_string(cursor.updated_at_ms) + "-" + cursor.conversation_id;
}

std::optional<PageCursor> parse_page_cursor(std::string_view text) {
    const std::size_t dash = text.find('-');
    if (dash == 0 || dash == std::string_view::npos || dash + 1 == text.size()) return std::nullopt;
    PageCursor cursor;
    const char* first = text.data();
    const char* last = text.data() + dash;
    for (const char* p = first; p != last; ++p) {
        if (*p < '0' || *p > '9') return std::nullopt;
    }
    const auto [end, ec] = std::from_chars(first, last, cursor.updated_at_ms);
    if (ec != std::errc{} || end != last) return std::nullopt;
    const std::string_view id = text.substr(dash + 1);
    for (char c : id) {
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9') || c == '_';
        if (!allowed) return std::nullopt;
    }
    cursor.conversation_id = std::string(id);
    return cursor;
}

}  // namespace clawbot::service
