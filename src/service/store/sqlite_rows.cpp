#include "service/store/sqlite_rows.h"

#include <algorithm>

namespace clawbot::service {

Result<StoredToken> read_token_row(const SqliteStatement& row) {
    StoredToken token;
    token.record.id = row.column_text(0);
    token.record.name = row.column_text(1);
    token.record.admin = row.column_int(2) != 0;
    token.record.created_at_ms = row.column_int(3);
    token.record.revoked = !row.column_is_null(4);
    const std::span<const std::uint8_t> digest = row.column_blob(5);
    if (digest.size() != token.digest.size()) {
        return make_error("token " + token.record.id + " has a corrupt digest");
    }
    std::copy(digest.begin(), digest.end(), token.digest.begin());
    return token;
}

ConversationRecord read_conversation_row(const SqliteStatement& row) {
    ConversationRecord conversation;
    conversation.id = row.column_text(0);
    conversation.owner_token_id = row.column_text(1);
    conversation.title = row.column_text(2);
    conversation.system_prompt = row.column_text(3);
    conversation.created_at_ms = row.column_int(4);
    conversation.updated_at_ms = row.column_int(5);
    return conversation;
}

Result<MessageRecord> read_message_row(const SqliteStatement& row) {
    MessageRecord message;
    message.id = row.column_text(0);
    message.conversation_id = row.column_text(1);
    message.seq = row.column_int(2);
    const std::optional<MessageRole> role = parse_role(row.column_text(3));
    if (!role) return make_error("message " + message.id + " has an unknown role");
    message.role = *role;
    message.content = row.column_text(4);
    message.usage.prompt_tokens = row.column_int(5);
    message.usage.completion_tokens = row.column_int(6);
    message.usage.cached_tokens = row.column_int(7);
    message.created_at_ms = row.column_int(8);
    const std::optional<MessageFinish> finish = parse_finish(row.column_text(9));
    if (!finish) return make_error("message " + message.id + " has an unknown finish_reason");
    message.finish = *finish;
    return message;
}

}  // namespace clawbot::service
