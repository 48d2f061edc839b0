// RedisStore: conversations. Their keys hold the owner's token id
// (redis_keys.h), so another owner's conversation is simply not found.
#include <algorithm>
#include <array>

#include "service/store/record_ids.h"
#include "service/store/redis_codec.h"
#include "service/store/redis_keys.h"
#include "service/store/redis_scripts.h"
#include "service/store/redis_store.h"
#include "service/store/store_clock.h"

namespace clawbot::service {

Result<ConversationRecord> RedisStore::create_conversation(std::string_view owner_token_id,
                                                           std::string_view title,
                                                           std::string_view system_prompt) {
    Result<std::string> id = new_conversation_id();
    if (!id) return id.error();
    const std::int64_t now = unix_now_ms();
    ConversationRecord conversation{std::move(id).value(), std::string(owner_token_id),
                                    std::string(title),    std::string(system_prompt),
                                    now,                   now};

    const std::string token_key = redis_keys::token(owner_token_id);
    const std::string conversation_key = redis_keys::conversation(owner_token_id, conversation.id);
    const std::string index = redis_keys::conversations_of(owner_token_id);
    const std::string now_text = std::to_string(now);
    const std::string member = redis_keys::recency_member(now, conversation.id);
    const std::array<std::string_view, 3> keys = {token_key, conversation_key, index};
    const std::array<std::string_view, 5> args = {owner_token_id, title, system_prompt, now_text, member};
    Result<RedisValue> stored = pool_.eval(redis_scripts::create_conversation(), keys, args);
    if (!stored) return stored.error();
    return conversation;
}

Result<std::optional<ConversationRecord>> RedisStore::get_conversation(std::string_view owner_token_id,
                                                                       std::string_view conversation_id) {
    const std::string key = redis_keys::conversation(owner_token_id, conversation_id);
    const std::array<std::string_view, 6> get = {"HMGET", key, "title", "system_prompt", "created_at_ms",
                                                 "updated_at_ms"};
    Result<RedisValue> reply = pool_.command(get);
    if (!reply) return reply.error();
    if (reply->kind != RedisValue::Kind::Array || reply->items.size() != 4) {
        return make_error("unexpected reply from Redis reading a conversation");
    }
    if (reply->items[3].is_nil()) return std::optional<ConversationRecord>{};
    std::vector<RedisValue> fields{RedisValue{RedisValue::Kind::Text, std::string(conversation_id), 0, {}}};
    fields.insert(fields.end(), reply->items.begin(), reply->items.end());
    Result<ConversationRecord> conversation = decode_conversation(owner_token_id, fields);
    if (!conversation) return conversation.error();
    return std::optional<ConversationRecord>{std::move(conversation).value()};
}

Result<ConversationPage> RedisStore::list_conversations(std::string_view owner_token_id, int limit,
                                                        const std::optional<PageCursor>& after) {
    const int page_size = std::clamp(limit, 1, kMaxConversationPageSize);
    const std::string index = redis_keys::conversations_of(owner_token_id);
    // "(" makes the bound exclusive: strictly older than the cursor.
    const std::string upper =
        after ? "(" + redis_keys::recency_member(after->updated_at_ms, after->conversation_id) : "+";
    const std::string count = std::to_string(page_size + 1);  // one more says whether a next page exists
    const std::string prefix = redis_keys::conversation_prefix(owner_token_id);
    const std::array<std::string_view, 1> keys = {index};
    const std::array<std::string_view, 3> args = {upper, count, prefix};
    Result<RedisValue> reply = pool_.eval(redis_scripts::list_conversations(), keys, args);
    if (!reply) return reply.error();
    const std::vector<RedisValue>& fields = reply->items;
    if (reply->kind != RedisValue::Kind::Array || fields.size() % kConversationFieldCount != 0) {
        return make_error("unexpected reply from Redis listing conversations");
    }

    ConversationPage page;
    for (std::size_t at = 0; at < fields.size(); at += kConversationFieldCount) {
        Result<ConversationRecord> conversation =
            decode_conversation(owner_token_id, std::span(fields).subspan(at, kConversationFieldCount));
        if (!conversation) return conversation.error();
        page.items.push_back(std::move(conversation).value());
    }
    if (page.items.size() > static_cast<std::size_t>(page_size)) {
        page.items.resize(static_cast<std::size_t>(page_size));
        page.next = PageCursor{page.items.back().updated_at_ms, page.items.back().id};
    }
    return page;
}

Result<ConversationPage> RedisStore::search_conversations(std::string_view owner_token_id, std::string_view query,
                                                          int limit, const std::optional<PageCursor>& after) {
    if (!valid_search_text(query)) return make_error("search text must be valid UTF-8 of at most 200 bytes without NUL");
    const int page_size = std::clamp(limit, 1, kMaxConversationPageSize);
    // Scanned in batches, one script each, so Redis (one thread for every
    // node) is never held for longer than reading kBatch conversations.
    constexpr int kBatch = 16;
    const std::string index = redis_keys::conversations_of(owner_token_id);
    const std::string conversation_prefix = redis_keys::conversation_prefix(owner_token_id);
    const std::string messages_prefix = redis_keys::messages(owner_token_id, "");
    const std::string lowered = ascii_lower(query);
    const std::string batch = std::to_string(kBatch);
    std::string upper = after ? "(" + redis_keys::recency_member(after->updated_at_ms, after->conversation_id) : "+";

    ConversationPage page;
    const std::size_t wanted = static_cast<std::size_t>(page_size) + 1;  // one more says whether a next page exists
    while (page.items.size() < wanted) {
        const std::string still_wanted = std::to_string(wanted - page.items.size());
        const std::array<std::string_view, 1> keys = {index};
        const std::array<std::string_view, 6> args = {upper, batch, conversation_prefix, messages_prefix, lowered,
                                                      still_wanted};
        Result<RedisValue> reply = pool_.eval(redis_scripts::search_conversations(), keys, args);
        if (!reply) return reply.error();
        const std::vector<RedisValue>& fields = reply->items;
        if (reply->kind != RedisValue::Kind::Array || fields.size() < 3 ||
            (fields.size() - 3) % kConversationFieldCount != 0) {
            return make_error("unexpected reply from Redis searching conversations");
        }
        Result<std::int64_t> examined = integer_of(fields[0], "searching conversations");
        Result<std::string> last = text_of(fields[1], "searching conversations");
        Result<std::int64_t> exhausted = integer_of(fields[2], "searching conversations");
        if (!examined || !last || !exhausted) return make_error("unexpected reply from Redis searching conversations");
        for (std::size_t at = 3; at < fields.size(); at += kConversationFieldCount) {
            Result<ConversationRecord> conversation =
                decode_conversation(owner_token_id, std::span(fields).subspan(at, kConversationFieldCount));
            if (!conversation) return conversation.error();
            page.items.push_back(std::move(conversation).value());
        }
        if (*exhausted == 1 || *examined == 0) break;
        upper = "(" + *last;
    }
    if (page.items.size() > static_cast<std::size_t>(page_size)) {
        page.items.resize(static_cast<std::size_t>(page_size));
        page.next = PageCursor{page.items.back().updated_at_ms, page.items.back().id};
    }
    return page;
}

Result<std::optional<ConversationRecord>> RedisStore::update_conversation(std::string_view owner_token_id,
                                                                          std::string_view conversation_id,
                                                                          std::optional<std::string_view> title,
                                                                          std::optional<std::string_view> system_prompt) {
    if (title) {
        const std::optional<std::string> clean = clean_conversation_title(*title);
        if (!clean || *clean != *title) {
            return make_error("a conversation title must be 1 to 200 characters without control characters or surrounding spaces");
        }
    }
    if (system_prompt && !valid_system_prompt(*system_prompt)) {
        return make_error("a system prompt must be valid UTF-8 of at most 32768 bytes");
    }
    const std::string key = redis_keys::conversation(owner_token_id, conversation_id);
    const std::array<std::string_view, 1> keys = {key};
    const std::array<std::string_view, 4> args = {title ? "1" : "0", title.value_or(""), system_prompt ? "1" : "0",
                                                  system_prompt.value_or("")};
    Result<RedisValue> reply = pool_.eval(redis_scripts::update_conversation(), keys, args);
    if (!reply) return reply.error();
    if (reply->is_nil()) return std::optional<ConversationRecord>{};
    if (reply->kind != RedisValue::Kind::Array || reply->items.size() != 4) {
        return make_error("unexpected reply from Redis updating a conversation");
    }
    std::vector<RedisValue> fields{RedisValue{RedisValue::Kind::Text, std::string(conversation_id), 0, {}}};
    fields.insert(fields.end(), reply->items.begin(), reply->items.end());
    Result<ConversationRecord> conversation = decode_conversation(owner_token_id, fields);
    if (!conversation) return conversation.error();
    return std::optional<ConversationRecord>{std::move(conversation).value()};
}

Result<bool> RedisStore::delete_conversation(std::string_view owner_token_id, std::string_view conversation_id) {
    const std::string conversation_key = redis_keys::conversation(owner_token_id, conversation_id);
    const std::string messages_key = redis_keys::messages(owner_token_id, conversation_id);
    const std::string index = redis_keys::conversations_of(owner_token_id);
    const std::array<std::string_view, 3> keys = {conversation_key, messages_key, index};
    const std::array<std::string_view, 1> args = {conversation_id};
    Result<RedisValue> reply = pool_.eval(redis_scripts::delete_conversation(), keys, args);
    if (!reply) return reply.error();
    Result<std::int64_t> deleted = integer_of(*reply, "deleting a conversation");
    if (!deleted) return deleted.error();
    return *deleted == 1;
}

}  // namespace clawbot::service
