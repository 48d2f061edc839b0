// POST /api/v1/chat: the native API. A conversation's history is the
// context; the exchange is stored (durably) before it is acknowledged.
#include <algorithm>

#include "service/api/json_body.h"
#include "service/api/json_schema_grammar.h"
#include "service/api/openai_request.h"
#include "service/api/routes.h"
#include "service/api/sse.h"
#include "service/api/stream_relay.h"

namespace clawbot::service {
namespace {

struct ChatParams {
    std::string query;
    std::optional<std::string> conversation_id;
    std::optional<std::string> system;
    bool stream = false;
    CompletionRequest completion;
    std::optional<nlohmann::json> schema;  // "format" json_schema: the answer is checked against it
};

std::variant<ChatParams, BadRequest> parse_chat(const HttpRequest& req, int context_size, bool forward) {
    auto parsed = parse_json_object(req.body);
    if (auto* bad = std::get_if<BadRequest>(&parsed)) return *bad;
    const nlohmann::json& body = std::get<nlohmann::json>(parsed);
    FieldReader f(body);
    ChatParams p;
    auto query = f.string("query");
    p.conversation_id = f.string("conversation_id");
    p.system = f.string("system");
    p.stream = f.boolean("stream").value_or(false);
    auto max_tokens = f.integer("max_tokens", 1, context_size);
    auto temperature = f.number("temperature", 0.0, 2.0);
    auto top_p = f.number("top_p", 0.0, 1.0);
    auto seed = f.integer("seed", 0, INT64_MAX);
    if (!f.ok()) return f.error();
    if (!query || query->empty()) return BadRequest{"invalid_request", "'query' is required and must be a non-empty string"};
    p.query = std::move(*query);
    p.completion.max_tokens = static_cast<int>(max_tokens.value_or(0));
    p.completion.temperature = static_cast<float>(temperature.value_or(0.8));
    p.completion.top_p = static_cast<float>(top_p.value_or(0.95));
    if (top_p && *top_p <= 0.0) return BadRequest{"invalid_request", "'top_p' must be greater than 0"};
    if (seed) p.completion.seed = static_cast<uint64_t>(*seed);
    // "format": response_format's shapes. The local model follows it by
    // grammar; cloud mode asks the upstream for it with these settings.
    if (auto format = body.find("format"); format != body.end() && !format->is_null()) {
        if (!forward) {
            if (auto e = read_response_format(*format, "format", p.completion, p.schema)) return *e;
        } else {
            nlohmann::json fields{{"temperature", p.completion.temperature}, {"top_p", p.completion.top_p},
                                  {"response_format", *format}};
            if (p.completion.max_tokens > 0) fields["max_tokens"] = p.completion.max_tokens;
            if (seed) fields["seed"] = *seed;
            p.completion.upstream_fields = dump_json(fields);
        }
    }
    return p;
}

class NativeChatHandler final : public CompletionHandler, public std::enable_shared_from_this<NativeChatHandler> {
public:
    NativeChatHandler(Scope scope, TokenRecord token, ChatParams params, std::optional<ConversationRecord> conversation,
                      std::string model, std::unique_ptr<InflightLimit::Slot> slot)
        : scope_(std::move(scope)), token_(std::move(token)), params_(std::move(params)),
          conversation_(std::move(conversation)), model_(std::move(model)), slot_(std::move(slot)), relay_(scope_) {}

    StreamRelay& relay() { return relay_; }

    void on_delta(const CompletionDelta& delta) override {
        const std::string_view text = delta.content;
        const std::string_view reasoning = delta.reasoning;
        if (text.empty() && reasoning.empty()) return;  // the native API sends text only
        scope_->first_token();
        std::lock_guard lock(mutex_);
        // A reasoning model's thinking streams as its own event, so a client
        // can show it apart; only the answer is stored in the conversation.
        reasoning_ += reasoning;
        answer_ += text;
        if (params_.stream && !reasoning.empty()) relay_.send(sse_event("reasoning", dump_json({{"text", reasoning}})));
        if (params_.stream && !text.empty()) relay_.send(sse_event("delta", dump_json({{"text", text}})));
    }

    void on_queued(int position) override {
        // An SSE comment: clients ignore it, proxies see traffic.
        if (params_.stream) relay_.send(": queued, position " + std::to_string(position) + "\n\n");
    }

    void on_error(const StartError& error) override {
        scope_->ctx().log.event("error", "chat: " + error.message);
        if (!params_.stream || relay_.claim_unstarted()) return respond_start_error(scope_, error);
        // The client has seen the stream start, and perhaps part of the
        // answer: keep the exchange (finish "error") before the error event.
        // Storing waits for fsync: not on the engine thread.
        auto self = shared_from_this();
        scope_->ctx().store_writes.post([self, error] { self->store_and_report(error); });
    }

    void on_done(FinishKind finish, const CompletionUsage& usage) override {
        scope_->set_usage(usage);
        // Storing waits for fsync: not on the engine thread.
        auto self = shared_from_this();
        if (finish == FinishKind::Cancelled) {
            // The client is gone (or the server is shutting down): nothing
            // to acknowledge, but the question and the answer so far are
            // kept, marked "cancelled", even when that answer is empty.
            relay_.finish();
            scope_->ctx().store_writes.post([self, usage] { self->store_quietly(usage); });
            return;
        }
        scope_->ctx().store_writes.post([self, finish, usage] { self->store_and_acknowledge(finish, usage); });
    }

private:
    static MessageFinish stored_finish(FinishKind finish) {
        switch (finish) {
            case FinishKind::Length: return MessageFinish::Length;
            case FinishKind::ContentFilter: return MessageFinish::ContentFilter;
            case FinishKind::Cancelled: return MessageFinish::Cancelled;
            case FinishKind::Stop:
            case FinishKind::ToolCalls: return MessageFinish::Stop;
        }
        return MessageFinish::Stop;
    }

    std::string answer_so_far() {
        std::lock_guard lock(mutex_);
        return answer_;
    }

    // Creates the conversation when the request named none, then appends the
    // exchange. On a store thread. An Error names what failed, for the log.
    Result<Exchange> store_exchange(const std::string& answer, const TokenUsage& usage, MessageFinish finish) {
        ConversationStore& store = scope_->ctx().store;
        if (!conversation_) {
            auto created = store.create_conversation(token_.id, conversation_title(params_.query), params_.system.value_or(""));
            if (!created) return make_error("creating the conversation: " + created.error().message);
            conversation_ = std::move(*created);
        }
        auto exchange = store.append_exchange(token_.id, conversation_->id, params_.query, answer, usage, finish);
        if (!exchange) return exchange.error();
        if (!*exchange) return make_error("the conversation was deleted meanwhile");
        return std::move(**exchange);
    }

    // After on_done(Cancelled): the client is gone, so a failure is only logged.
    void store_quietly(const CompletionUsage& usage) {
        const TokenUsage u{usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens};
        auto stored = store_exchange(answer_so_far(), u, MessageFinish::Cancelled);
        if (!stored) scope_->ctx().log.event("error", "chat: cancelled answer not kept: " + stored.error().message);
    }

    // After on_error with the stream started: store, then the error event,
    // which names the stored exchange so the client can continue it.
    void store_and_report(const StartError& error) {
        auto stored = store_exchange(answer_so_far(), TokenUsage{}, MessageFinish::Error);
        nlohmann::json event = nlohmann::json::parse(start_error_event(error));
        if (stored) {
            event["conversation_id"] = conversation_->id;
            event["message_id"] = stored->assistant.id;
        } else {
            scope_->ctx().log.event("error", "chat: failed answer not kept: " + stored.error().message);
        }
        relay_.send(sse_event("error", dump_json(event)));
        relay_.finish();
    }

    void store_and_acknowledge(FinishKind finish, const CompletionUsage& usage) {
        const TokenUsage u{usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens};
        std::string answer, reasoning;
        {
            std::lock_guard lock(mutex_);
            answer = answer_;
            reasoning = reasoning_;
        }
        // Where the grammar is looser than the schema (json_schema_grammar.h).
        if (params_.schema && finish == FinishKind::Stop) {
            const nlohmann::json doc = nlohmann::json::parse(answer, nullptr, false);
            const auto invalid = doc.is_discarded() ? std::optional<std::string>("it is not JSON")
                                                    : validate_json_against_schema(doc, *params_.schema);
            if (invalid) {
                return fail(500, "generation_failed", "the answer does not validate against the format's schema: " + *invalid,
                            *invalid);
            }
        }
        auto exchange = store_exchange(answer, u, stored_finish(finish));
        if (!exchange) return fail(503, "store_unavailable", "could not store the reply", exchange.error().message);
        nlohmann::json response{
            {"conversation_id", conversation_->id},
            {"message_id", exchange->assistant.id},
            {"answer", answer},
            {"model", model_},
            {"finish_reason", finish_reason_name(finish)},
            {"usage", {{"prompt_tokens", usage.prompt_tokens}, {"completion_tokens", usage.completion_tokens}, {"cached_tokens", usage.cached_tokens},
                       {"truncated_turns", usage.truncated_turns}}}};
        if (!reasoning.empty()) response["reasoning"] = reasoning;
        if (params_.stream) {
            relay_.send(sse_event("done", dump_json(response)));
            relay_.finish();
        } else {
            scope_->respond(json_response(200, response));
        }
    }

    // `cause`: what the store said, for the log only (it may name files).
    void fail(int status, const std::string& code, const std::string& message, const std::string& cause) {
        scope_->ctx().log.event("error", "chat: " + message + ": " + cause);
        scope_->mark_failed(status);
        if (params_.stream && !relay_.claim_unstarted()) {
            relay_.send(sse_event("error", "{\"error\":" + json_error_object(status, code, message) + "}"));
            relay_.finish();
        } else {
            scope_->respond(error_response(status, code, message));
        }
    }

    Scope scope_;
    TokenRecord token_;
    ChatParams params_;
    std::optional<ConversationRecord> conversation_;
    std::string model_;
    std::unique_ptr<InflightLimit::Slot> slot_;  // released with the handler
    std::mutex mutex_;
    std::string answer_;
    std::string reasoning_;  // a reasoning model's thinking, not stored
    StreamRelay relay_;
};

}  // namespace

std::string conversation_title(const std::string& text) {
    constexpr size_t kMax = 60;
    if (text.size() <= kMax) return text;
    size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
    return text.substr(0, cut) + "…";
}

std::unique_ptr<InflightLimit::Slot> acquire_inflight(const Scope& scope) {
    const TokenRateLimiter::Verdict rate = scope->ctx().rate_limiter.admit(scope->token_id());
    if (!rate.admitted) {
        scope->ctx().metrics.rejected.inc({"rate_limited"});
        HttpResponse r = error_response(429, "rate_limited",
                                        std::string("this access token is over its ") + rate.limit +
                                            " per minute limit (RATE_LIMIT_" + (rate.limit[0] == 'r' ? "REQUESTS" : "TOKENS") +
                                            "_PER_MINUTE)");
        r.headers.emplace_back("Retry-After", std::to_string(rate.retry_after_s));
        scope->respond(std::move(r));
        return nullptr;
    }
    auto slot = scope->ctx().inflight.try_acquire();
    if (!slot) respond_start_error(scope, StartError{StartErrorCode::Overloaded, "too many requests in flight (MAX_CONCURRENT_REQUESTS)", 1});
    return slot;
}

const char* finish_reason_name(FinishKind finish) {
    switch (finish) {
        case FinishKind::Length: return "length";
        case FinishKind::ToolCalls: return "tool_calls";
        case FinishKind::ContentFilter: return "content_filter";
        case FinishKind::Stop:
        case FinishKind::Cancelled: return "stop";
    }
    return "stop";
}

const char* start_error_name(StartErrorCode code) {
    switch (code) {
        case StartErrorCode::Overloaded: return "overloaded";
        case StartErrorCode::ContextLengthExceeded: return "context_length_exceeded";
        case StartErrorCode::InvalidRequest: return "invalid_request";
        case StartErrorCode::Unavailable: return "unavailable";
        case StartErrorCode::UpstreamFailed: return "upstream_error";
        case StartErrorCode::UpstreamTimeout: return "upstream_timeout";
        case StartErrorCode::Internal: return "generation_failed";
    }
    return "generation_failed";
}

int start_error_status(StartErrorCode code) {
    switch (code) {
        case StartErrorCode::Overloaded: return 429;
        case StartErrorCode::ContextLengthExceeded:
        case StartErrorCode::InvalidRequest: return 400;
        case StartErrorCode::Unavailable: return 503;
        case StartErrorCode::UpstreamFailed: return 502;
        case StartErrorCode::UpstreamTimeout: return 504;
        case StartErrorCode::Internal: return 500;
    }
    return 500;
}

std::string start_error_event(const StartError& error) {
    return "{\"error\":" + json_error_object(start_error_status(error.code), start_error_name(error.code), error.message) + "}";
}

void respond_start_error(const Scope& scope, const StartError& error) {
    scope->ctx().metrics.rejected.inc({start_error_name(error.code)});
    HttpResponse r = error_response(start_error_status(error.code), start_error_name(error.code), error.message);
    if (error.code == StartErrorCode::Overloaded) {
        r.headers.emplace_back("Retry-After", std::to_string(std::max(error.retry_after_s, 1)));
    }
    scope->respond(std::move(r));
}

void handle_chat(const HttpRequest& req, const Scope& scope, const TokenRecord& token) {
    ApiContext& ctx = scope->ctx();
    if (!ctx.provider) return scope->respond(error_response(503, "no_model", kNoModelMessage));
    auto parsed = parse_chat(req, ctx.provider->context_size(), ctx.provider->forwards_openai_fields());
    if (auto* bad = std::get_if<BadRequest>(&parsed)) return scope->respond(bad_request_response(*bad));
    ChatParams params = std::move(std::get<ChatParams>(parsed));

    std::optional<ConversationRecord> conversation;
    std::vector<ChatTurn>& messages = params.completion.messages;
    if (params.conversation_id) {
        auto found = ctx.store.get_conversation(token.id, *params.conversation_id);
        if (!found) return scope->respond(error_response(503, "store_unavailable", "the conversation store is unavailable"));
        if (!*found) return scope->respond(error_response(404, "not_found", "no such conversation"));
        conversation = std::move(**found);
        auto history = ctx.store.list_messages(token.id, conversation->id);
        if (!history || !*history) return scope->respond(error_response(503, "store_unavailable", "could not read the conversation"));
        const std::string system = params.system.value_or(conversation->system_prompt);
        if (!system.empty()) messages.push_back({"system", system});
        for (const MessageRecord& m : **history) {
            if (m.role != MessageRole::System) messages.push_back({std::string(role_name(m.role)), m.content});
        }
    } else if (params.system && !params.system->empty()) {
        messages.push_back({"system", *params.system});
    }
    messages.push_back({"user", params.query});

    auto slot = acquire_inflight(scope);
    if (!slot) return;
    const CompletionRequest completion = params.completion;
    auto handler = std::make_shared<NativeChatHandler>(scope, token, std::move(params), std::move(conversation),
                                                       ctx.provider->model_name(), std::move(slot));
    StartResult started = ctx.provider->start(completion, handler);
    if (!started) return respond_start_error(scope, started.error());
    // A client that hangs up stops its generation; after the answer this is a no-op.
    handler->relay().watch(*started);
}

}  // namespace clawbot::service
