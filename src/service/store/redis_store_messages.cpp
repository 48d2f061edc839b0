// RedisStore: messages. One script checks that the conversation exists,
// appends, and moves its updated_at, atomically; the call returns after
// Redis answered, i.e. (with appendfsync always) after the AOF fsync.
#include <array>

#include "service/store/record_ids.h"
#include "service/store/redis_codec.h"
#include "service/store/redis_keys.h"
#include "service/store/redis_scripts.h"
#include "service/store/redis_store.h"
#include "service/store/store_clock.h"

namespace clawbot::service {

Result<bool> RedisStore::append(std::string_view owner_token_id, std::string_view conversation_id,
                                std::span<MessageRecord> messages, std::int64_t now_ms) {
    const std::string conversation_key = redis_keys::conversation(owner_token_id, conversation_id);
    const std::string messages_key = redis_keys::messages(owner_token_id, conversation_id);
    const std::string index = redis_keys::conversations_of(owner_token_id);
    const std::string now = std::to_string(now_ms);
    const std::string count = std::to_string(messages.size());
    std::vector<std::string> elements;
    for (const MessageRecord& message : messages) elements.push_back(encode_message(message));

    const std::array<std::string_view, 3> keys = {conversation_key, messages_key, index};
    std::vector<std::string_view> args = {now, conversation_id, count};
    args.insert(args.end(), elements.begin(), elements.end());
    // Stop is what a message without a stored finish reads as.
    for (const MessageRecord& message : messages) {
        args.push_back(message.finish == MessageFinish::Stop ? std::string_view() : finish_name(message.finish));
    }
    Result<RedisValue> reply = pool_.eval(redis_scripts::append_messages(), keys, args);
    if (!reply) return reply.error();
    if (reply->is_nil()) return false;
    Result<std::int64_t> last_seq = integer_of(*reply, "appending messages");
    if (!last_seq) return last_seq.error();
    std::int64_t seq = *last_seq - static_cast<std::int64_t>(messages.size());
    for (MessageRecord& message : messages) message.seq = ++seq;
    return true;
}

Result<std::optional<MessageRecord>> RedisStore::append_message(std::string_view owner_token_id,
                                                                std::string_view conversation_id,
                                                                MessageRole role, std::string_view content,
                                                                const TokenUsage& usage) {
    Result<std::string> id = new_message_id();
    if (!id) return id.error();
    const std::int64_t now = unix_now_ms();
    std::array<MessageRecord, 1> message = {
        MessageRecord{std::move(id).value(), std::string(conversation_id), 0, role, std::string(content), usage, now}};
    Result<bool> appended = append(owner_token_id, conversation_id, message, now);
    if (!appended) return appended.error();
    if (!*appended) return std::optional<MessageRecord>{};
    return std::optional<MessageRecord>{std::move(message[0])};
}

Result<std::optional<Exchange>> RedisStore::append_exchange(std::string_view owner_token_id,
                                                            std::string_view conversation_id,
                                                            std::string_view user_content,
                                                            std::string_view assistant_content,
                                                            const TokenUsage& usage, MessageFinish finish) {
    Result<std::string> user_id = new_message_id();
    if (!user_id) return user_id.error();
    Result<std::string> assistant_id = new_message_id();
    if (!assistant_id) return assistant_id.error();
    const std::int64_t now = unix_now_ms();
    std::array<MessageRecord, 2> turn = {
        MessageRecord{std::move(user_id).value(), std::string(conversation_id), 0, MessageRole::User,
                      std::string(user_content), TokenUsage{}, now},
        MessageRecord{std::move(assistant_id).value(), std::string(conversation_id), 0, MessageRole::Assistant,
                      std::string(assistant_content), usage, now, finish}};
    Result<bool> appended = append(owner_token_id, conversation_id, turn, now);
    if (!appended) return appended.error();
    if (!*appended) return std::optional<Exchange>{};
    return std::optional<Exchange>{Exchange{std::move(turn[0]), std::move(turn[1])}};
}

Result<std::optional<std::vector<MessageRecord>>> RedisStore::list_messages(std::string_view owner_token_id,
                                                                            std::string_view conversation_id) {
    using Messages = std::vector<MessageRecord>;
    const std::string conversation_key = redis_keys::conversation(owner_token_id, conversation_id);
    const std::string messages_key = redis_keys::messages(owner_token_id, conversation_id);
    const std::array<std::string_view, 2> keys = {conversation_key, messages_key};
    Result<RedisValue> reply = pool_.eval(redis_scripts::list_messages(), keys, {});
    if (!reply) return reply.error();
    if (reply->is_nil()) return std::optional<Messages>{};
    const auto malformed = [] { return make_error("unexpected reply from Redis listing messages"); };
    if (reply->kind != RedisValue::Kind::Array || reply->items.size() != 2) return malformed();
    const RedisValue& elements = reply->items[0];
    const RedisValue& finishes = reply->items[1];
    if (elements.kind != RedisValue::Kind::Array || finishes.kind != RedisValue::Kind::Array ||
        finishes.items.size() % 2 != 0) {
        return malformed();
    }
    Messages messages;
    messages.reserve(elements.items.size());
    for (const RedisValue& element : elements.items) {
        if (element.kind != RedisValue::Kind::Text) return malformed();
        Result<MessageRecord> message =
            decode_message(element.text, conversation_id, static_cast<std::int64_t>(messages.size()) + 1);
        if (!message) return message.error();
        messages.push_back(std::move(message).value());
    }
    for (std::size_t at = 0; at < finishes.items.size(); at += 2) {
        Result<std::int64_t> seq = integer_text_of(finishes.items[at], "a message's seq");
        Result<std::string> name = text_of(finishes.items[at + 1], "a finish reason");
        if (!seq || !name) return malformed();
        const std::optional<MessageFinish> finish = parse_finish(*name);
        if (!finish) return make_error("Redis holds an unknown finish reason '" + *name + "'");
        // A seq beyond the list cannot come from append_messages; ignore it.
        if (*seq >= 1 && *seq <= static_cast<std::int64_t>(messages.size())) {
            messages[static_cast<std::size_t>(*seq - 1)].finish = *finish;
        }
    }
    return std::optional<Messages>{std::move(messages)};
}

Result<std::optional<std::int64_t>> RedisStore::delete_messages_from(std::string_view owner_token_id,
                                                                     std::string_view conversation_id,
                                                                     std::string_view message_id) {
    using Deleted = std::optional<std::int64_t>;
    const std::string conversation_key = redis_keys::conversation(owner_token_id, conversation_id);
    const std::string messages_key = redis_keys::messages(owner_token_id, conversation_id);
    const std::string index = redis_keys::conversations_of(owner_token_id);
    const std::string now = std::to_string(unix_now_ms());
    const std::array<std::string_view, 3> keys = {conversation_key, messages_key, index};
    const std::array<std::string_view, 3> args = {message_id, now, conversation_id};
    Result<RedisValue> reply = pool_.eval(redis_scripts::delete_messages_from(), keys, args);
    if (!reply) return reply.error();
    if (reply->is_nil()) return Deleted{};
    Result<std::int64_t> deleted = integer_of(*reply, "deleting messages");
    if (!deleted) return deleted.error();
    if (*deleted == 0) return Deleted{};
    return Deleted{*deleted};
}

}  // namespace clawbot::service
