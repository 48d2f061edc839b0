// GET (list, or search with ?q=) and POST /api/v1/conversations; GET, PATCH
// (title, system prompt) and DELETE /api/v1/conversations/{id}; DELETE
// /api/v1/conversations/{id}/messages/{message_id} (that message and every
// later one).
#include <charconv>
#include <functional>

#include "service/api/json_body.h"
#include "service/api/routes.h"
#include "service/store/page_cursor.h"

namespace clawbot::service {
namespace {

// Value of `key` in a query string (no percent-decoding: our values are
// plain ids, numbers and cursors).
std::optional<std::string> query_param(const std::string& query, std::string_view key) {
    size_t start = 0;
    while (start <= query.size()) {
        const size_t end = std::min(query.find('&', start), query.size());
        const std::string_view pair(query.data() + start, end - start);
        const size_t eq = pair.find('=');
        if (pair.substr(0, eq) == key) return std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
        start = end + 1;
    }
    return std::nullopt;
}

// A query value's text: %XX escapes decoded and '+' read as a space (HTML
// form encoding, which URLSearchParams writes); nullopt for a malformed escape.
std::optional<std::string> percent_decoded(std::string_view text) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] != '%') {
            out += text[i];
        } else {
            if (i + 2 >= text.size()) return std::nullopt;
            const int high = hex(text[i + 1]), low = hex(text[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            out += static_cast<char>(high * 16 + low);
            i += 2;
        }
    }
    return out;
}

nlohmann::json conversation_json(const ConversationRecord& c) {
    return {{"id", c.id},
            {"title", c.title},
            {"system", c.system_prompt},
            {"created_at_ms", c.created_at_ms},
            {"updated_at_ms", c.updated_at_ms}};
}

void store_failure(const Scope& scope, const Error& e) {
    scope->ctx().log.event("error", "store: " + e.message);
    scope->respond(error_response(503, "store_unavailable", "the conversation store is unavailable"));
}

}  // namespace

void on_store(WorkQueue& executor, const Scope& scope, std::function<void()> work) {
    if (!executor.try_post(std::move(work))) scope->respond(store_busy_response());
}

// Creating a conversation before its first question lets that question
// carry the id already (X-Conversation-Id), so a proxy that routes by it
// sends every turn, the first included, to the node holding its KV cache.
void handle_create_conversation(const HttpRequest& req, const Scope& scope, const TokenRecord& token) {
    std::string title = "New conversation";
    std::string system;
    if (!req.body.empty()) {
        auto parsed = parse_json_object(req.body);
        if (auto* bad = std::get_if<BadRequest>(&parsed)) return scope->respond(bad_request_response(*bad));
        FieldReader f(std::get<nlohmann::json>(parsed));
        auto given_title = f.string("title");
        auto given_system = f.string("system");
        if (!f.ok()) return scope->respond(bad_request_response(f.error()));
        if (given_title && !given_title->empty()) title = conversation_title(*given_title);
        if (given_system) system = std::move(*given_system);
    }
    // The insert waits for fsync: not on an I/O thread.
    on_store(scope->ctx().store_writes, scope, [scope, owner = token.id, title = std::move(title), system = std::move(system)] {
        auto created = scope->ctx().store.create_conversation(owner, title, system);
        if (!created) return store_failure(scope, created.error());
        scope->respond(json_response(201, conversation_json(*created)));
    });
}

void handle_list_conversations(const HttpRequest& req, const Scope& scope, const TokenRecord& token) {
    int limit = 20;
    if (auto text = query_param(req.query, "limit")) {
        int value = 0;
        auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
        if (ec != std::errc() || ptr != text->data() + text->size() || value < 1 || value > 100) {
            return scope->respond(error_response(400, "invalid_request", "'limit' must be an integer from 1 to 100", "limit"));
        }
        limit = value;
    }
    std::optional<PageCursor> cursor;
    if (auto text = query_param(req.query, "cursor")) {
        cursor = parse_page_cursor(*text);
        if (!cursor) return scope->respond(error_response(400, "invalid_request", "'cursor' is not a cursor this server gave out", "cursor"));
    }
    // ?q=TEXT: only conversations whose title or messages contain TEXT.
    std::string search;
    if (auto text = query_param(req.query, "q")) {
        std::optional<std::string> decoded = percent_decoded(*text);
        if (!decoded || !valid_search_text(*decoded)) {
            return scope->respond(error_response(
                400, "invalid_request", "'q' must be URL-encoded UTF-8 text of at most 200 bytes, without NUL", "q"));
        }
        search = std::move(*decoded);
    }
    on_store(scope->ctx().store_reads, scope, [scope, owner = token.id, limit, cursor, search = std::move(search)] {
        ConversationStore& store = scope->ctx().store;
        auto page = search.empty() ? store.list_conversations(owner, limit, cursor)
                                   : store.search_conversations(owner, search, limit, cursor);
        if (!page) return store_failure(scope, page.error());
        nlohmann::json items = nlohmann::json::array();
        for (const ConversationRecord& c : page->items) items.push_back(conversation_json(c));
        nlohmann::json body{{"conversations", items}, {"next_cursor", nullptr}};
        if (page->next) body["next_cursor"] = format_page_cursor(*page->next);
        scope->respond(json_response(200, body));
    });
}

void handle_get_conversation(const HttpRequest&, const Scope& scope, const TokenRecord& token, const std::string& id) {
    on_store(scope->ctx().store_reads, scope, [scope, owner = token.id, id] {
        ConversationStore& store = scope->ctx().store;
        auto conversation = store.get_conversation(owner, id);
        if (!conversation) return store_failure(scope, conversation.error());
        if (!*conversation) return scope->respond(error_response(404, "not_found", "no such conversation"));
        auto messages = store.list_messages(owner, id);
        if (!messages) return store_failure(scope, messages.error());
        nlohmann::json list = nlohmann::json::array();
        for (const MessageRecord& m : messages->value_or(std::vector<MessageRecord>{})) {
            nlohmann::json message{{"id", m.id}, {"role", role_name(m.role)}, {"content", m.content}, {"created_at_ms", m.created_at_ms}};
            // How the answer ended: "stop", "length", "content_filter",
            // "cancelled" (the client stopped it) or "error".
            if (m.role == MessageRole::Assistant) {
                message["finish_reason"] = finish_name(m.finish);
                // What the answer cost, as its `done` event said: the page
                // shows it again after a reload.
                message["usage"] = {{"prompt_tokens", m.usage.prompt_tokens},
                                    {"completion_tokens", m.usage.completion_tokens},
                                    {"cached_tokens", m.usage.cached_tokens}};
            }
            list.push_back(std::move(message));
        }
        nlohmann::json body = conversation_json(**conversation);
        body["messages"] = list;
        scope->respond(json_response(200, body));
    });
}

// PATCH {"title": "...", "system": "..."}: either or both. The title is
// trimmed and must then be 1..200 characters without control characters;
// the system prompt is kept as sent (at most 32 KiB; "" clears it).
void handle_update_conversation(const HttpRequest& req, const Scope& scope, const TokenRecord& token, const std::string& id) {
    auto parsed = parse_json_object(req.body);
    if (auto* bad = std::get_if<BadRequest>(&parsed)) return scope->respond(bad_request_response(*bad));
    FieldReader f(std::get<nlohmann::json>(parsed));
    auto given_title = f.string("title");
    auto system = f.string("system");
    if (!f.ok()) return scope->respond(bad_request_response(f.error()));
    if (!given_title && !system) {
        return scope->respond(error_response(400, "invalid_request", "'title' or 'system' is required", "title"));
    }
    std::optional<std::string> title;
    if (given_title) {
        title = clean_conversation_title(*given_title);
        if (!title) {
            return scope->respond(error_response(
                400, "invalid_request",
                "'title' must be 1 to 200 characters (surrounding spaces removed) without control characters", "title"));
        }
    }
    // The JSON parser has already refused invalid UTF-8: only the size is left.
    if (system && !valid_system_prompt(*system)) {
        return scope->respond(error_response(400, "invalid_request",
                                             "'system' must be at most " + std::to_string(kMaxSystemPromptBytes) +
                                                 " bytes of UTF-8",
                                             "system"));
    }
    on_store(scope->ctx().store_writes, scope, [scope, owner = token.id, id, title = std::move(title), system = std::move(system)] {
        auto updated = scope->ctx().store.update_conversation(owner, id, title, system);
        if (!updated) return store_failure(scope, updated.error());
        if (!*updated) return scope->respond(error_response(404, "not_found", "no such conversation"));
        scope->respond(json_response(200, conversation_json(**updated)));
    });
}

void handle_delete_conversation(const HttpRequest&, const Scope& scope, const TokenRecord& token, const std::string& id) {
    on_store(scope->ctx().store_writes, scope, [scope, owner = token.id, id] {
        auto deleted = scope->ctx().store.delete_conversation(owner, id);
        if (!deleted) return store_failure(scope, deleted.error());
        if (!*deleted) return scope->respond(error_response(404, "not_found", "no such conversation"));
        HttpResponse r;
        r.status = 204;
        scope->respond(std::move(r));
    });
}

// Regenerating an answer, or editing a question and asking again: the
// client cuts the conversation at that message, then sends the new turn.
void handle_delete_messages_from(const HttpRequest&, const Scope& scope, const TokenRecord& token, const std::string& id,
                                 const std::string& message_id) {
    on_store(scope->ctx().store_writes, scope, [scope, owner = token.id, id, message_id] {
        auto deleted = scope->ctx().store.delete_messages_from(owner, id, message_id);
        if (!deleted) return store_failure(scope, deleted.error());
        if (!*deleted) return scope->respond(error_response(404, "not_found", "no such conversation or message"));
        scope->respond(json_response(200, nlohmann::json{{"deleted", **deleted}}));
    });
}

}  // namespace clawbot::service
