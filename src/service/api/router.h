#pragma once
// The API's HttpHandler: matches method and path, checks the bearer token
// for API routes, and hands the request to its route.
#include <functional>
#include <optional>
#include <variant>

#include "service/api/api_context.h"
#include "service/api/request_scope.h"
#include "service/auth/token_record.h"
#include "service/http/http_handler.h"

namespace clawbot::service {

class ApiRouter final : public HttpHandler {
public:
    explicit ApiRouter(ApiContext& ctx) : ctx_(ctx) {}
    // Checks the bearer token from the header alone, against the in-memory
    // token cache, so a request without a valid one is refused before its
    // body is read. A token the cache does not know is looked up on a store
    // thread (Screening::decide_later); the I/O thread never waits.
    Screening screen(const HttpRequest& head) override;
    void handle(HttpRequest request, std::shared_ptr<Responder> responder) override;
    void on_rejected(std::string_view method, int status) override;

private:
    using Scope = std::shared_ptr<RequestScope>;
    using Verdict = std::variant<TokenRecord, HttpResponse>;
    // What the header and the cache decide: the caller or a refusal, or
    // nullopt with `ask_store` set when only the store can tell.
    std::optional<Verdict> check_header(const HttpRequest& head, TokenDigest& ask_store);
    // On a store thread: the store's answer for a token the cache lacks
    // (remembered in the cache when valid); 503 when the store fails.
    Verdict verify_with_store(const TokenDigest& digest);
    bool needs_token(const HttpRequest& req) const;
    // Runs `next` with the caller's token: the one screen() verified, or
    // (when screen did not run) verified here, on a store thread if need be.
    // Answers the refusal itself.
    using TokenContinuation = std::function<void(HttpRequest&, const Scope&, const TokenRecord&)>;
    void with_token(HttpRequest req, const Scope& scope, TokenContinuation next);
    void continue_with(Verdict verdict, HttpRequest& req, const Scope& scope, const TokenContinuation& next);
    // Hands a chat request to the request-prep threads (503 when their
    // queue is full).
    void prepare_chat(HttpRequest& req, const Scope& scope, const TokenRecord& token);
    // OPTIONS on an API path: a browser's CORS preflight (cors.h).
    void handle_preflight(const HttpRequest& req, const Scope& scope);
    void route_api(const HttpRequest& req, const Scope& scope, const TokenRecord& token);

    ApiContext& ctx_;
};

}  // namespace clawbot::service
