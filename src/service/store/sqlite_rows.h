#pragma once
// Row <-> record mapping for SqliteStore. Each column list sits beside the
// reader that depends on its order, so the two cannot drift apart. Internal
// to the store.
#include <vector>

#include "common/result.h"
#include "service/store/sqlite_connection.h"
#include "service/store/store_records.h"

namespace clawbot::service {

#define CLAWBOT_TOKEN_COLUMNS "id, name, admin, created_at_ms, revoked_at_ms, digest"
Result<StoredToken> read_token_row(const SqliteStatement& row);

#define CLAWBOT_CONVERSATION_COLUMNS \
    "id, owner_token_id, title, system_prompt, created_at_ms, updated_at_ms"
ConversationRecord read_conversation_row(const SqliteStatement& row);

#define CLAWBOT_MESSAGE_COLUMNS                                                           \
    "id, conversation_id, seq, role, content, prompt_tokens, completion_tokens, " \
    "cached_tokens, created_at_ms, finish_reason"
Result<MessageRecord> read_message_row(const SqliteStatement& row);

// Steps `query` to the end, reading every row with `read`.
template <class Record, class Reader>
Result<std::vector<Record>> read_all_rows(SqliteStatement& query, Reader read) {
    std::vector<Record> records;
    for (;;) {
        Result<bool> row = query.step();
        if (!row) return row.error();
        if (!*row) return records;
        Result<Record> record = read(query);
        if (!record) return record.error();
        records.push_back(std::move(record).value());
    }
}

}  // namespace clawbot::service
