#pragma once
// Route handlers. Each takes the request, its scope (which answers and
// records it) and, for authenticated routes, the caller's token.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "service/api/request_scope.h"
#include "service/auth/token_record.h"
#include "service/http/http_handler.h"

namespace clawbot::service {

using Scope = std::shared_ptr<RequestScope>;

void handle_chat(const HttpRequest& req, const Scope& scope, const TokenRecord& token);
void handle_chat_completions(const HttpRequest& req, const Scope& scope, const TokenRecord& token);
// POST /v1/embeddings: the local model's pooled hidden states of each input.
void handle_embeddings(const HttpRequest& req, const Scope& scope, const TokenRecord& token);
// POST /v1/completions: a prompt continued as it is (no chat template).
void handle_text_completions(const HttpRequest& req, const Scope& scope, const TokenRecord& token);
void handle_models(const HttpRequest& req, const Scope& scope);
// GET /v1/models/{id}: the model if `id` names it (or an alias), else 404.
void handle_model(const HttpRequest& req, const Scope& scope, const std::string& id);
// 404 model_not_found when a /v1 body's "model" names no model served here.
std::optional<HttpResponse> refuse_unknown_model(const ApiContext& ctx, const nlohmann::json& body);
void handle_create_conversation(const HttpRequest& req, const Scope& scope, const TokenRecord& token);
void handle_list_conversations(const HttpRequest& req, const Scope& scope, const TokenRecord& token);
void handle_get_conversation(const HttpRequest& req, const Scope& scope, const TokenRecord& token, const std::string& id);
// PATCH /api/v1/conversations/{id} {"title", "system"} (either or both): 200 with the conversation.
void handle_update_conversation(const HttpRequest& req, const Scope& scope, const TokenRecord& token, const std::string& id);
void handle_delete_conversation(const HttpRequest& req, const Scope& scope, const TokenRecord& token, const std::string& id);
// DELETE /api/v1/conversations/{id}/messages/{message_id}: that message and every later one;
// 200 {"deleted": N}, 404 when the conversation or the message is not found.
void handle_delete_messages_from(const HttpRequest& req, const Scope& scope, const TokenRecord& token, const std::string& id,
                                 const std::string& message_id);
void handle_healthz(const HttpRequest& req, const Scope& scope);
void handle_readyz(const HttpRequest& req, const Scope& scope);
void handle_metrics(const HttpRequest& req, const Scope& scope);
// Returns false when no embedded asset has that path.
bool handle_static(const HttpRequest& req, const Scope& scope);

// Title of a conversation: the start of its first question, whole UTF-8
// characters, "…" when cut.
std::string conversation_title(const std::string& text);

// Runs `work` on a store executor, never on the I/O thread that parsed the
// request; a full queue answers 503 store_busy at once.
void on_store(WorkQueue& executor, const Scope& scope, std::function<void()> work);

// A slot under MAX_CONCURRENT_REQUESTS, or null after answering 429.
std::unique_ptr<InflightLimit::Slot> acquire_inflight(const Scope& scope);

// Answers a provider failure (before any output) with its status
// (429/400/502/503/504/500) and counts it in clawbot_requests_rejected_total.
void respond_start_error(const Scope& scope, const StartError& error);
// The 503 `no_model` message: what fixes it, since waiting does not.
inline constexpr const char* kNoModelMessage =
    "no model is loaded: start the server with --model-path MODEL.gguf (or MODEL_PATH in its config file)";
// Its HTTP status.
int start_error_status(StartErrorCode code);
// {"error": {...}} for an error that comes after a stream has started.
std::string start_error_event(const StartError& error);
// "stop", "length", "tool_calls", "content_filter" (Cancelled never reaches a client).
const char* finish_reason_name(FinishKind finish);
// The error "code" clients see for it ("overloaded", "upstream_error", ...).
const char* start_error_name(StartErrorCode code);

}  // namespace clawbot::service
