#pragma once
// Keyset paging for conversation lists, newest first. A cursor is the sort
// key (updated_at, id) of the last item on the previous page, so pages stay
// exact under inserts, unlike OFFSET paging.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/store/store_records.h"

namespace clawbot::service {

struct PageCursor {
    std::int64_t updated_at_ms = 0;
    std::string conversation_id;
};

struct ConversationPage {
    std::vector<ConversationRecord> items;
    std::optional<PageCursor> next;  // absent on the last page
};

// The text a client echoes back ("<updated_at_ms>-<conversation id>"). It is
// opaque to clients; parse_page_cursor refuses anything it did not produce,
// so the HTTP layer can answer 400 before asking the store.
std::string format_page_cursor(const PageCursor& cursor);
std::optional<PageCursor> parse_page_cursor(std::string_view text);

}  // namespace clawbot::service
