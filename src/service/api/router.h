#pragma once
// The API's HttpHandler: matches method and path, checks the bearer token
// for API routes, and hands the request to its route.
#include <variant>

#include "service/api/api_context.h"
#include "service/api/request_scope.h"
#include "service/auth/token_record.h"
#include "service/http/http_handler.h"

namespace clawbot::service {

class ApiRouter final : public HttpHandler {
public:
    explicit ApiRouter(ApiContext& ctx) : ctx_(ctx) {}
    // Checks the bearer token from the header alone, so a request without a
    // valid one is refused before its body is read.
    Screening screen(const HttpRequest& head) override;
    void handle(HttpRequest request, std::shared_ptr<Responder> responder) override;
    void on_rejected(std::string_view method, int status) override;

private:
    // The caller's token, or the response that refuses the request (401,
    // or 503 when the store cannot be asked).
    std::variant<TokenRecord, HttpResponse> verify(const HttpRequest& req);
    // The caller's token, or nullopt after answering 401/503 itself. Uses
    // what screen() verified when it ran.
    std::optional<TokenRecord> authenticate(const HttpRequest& req, const std::shared_ptr<RequestScope>& scope);
    bool needs_token(const HttpRequest& req) const;
    // Hands a chat request to the request-prep threads (503 when their
    // queue is full).
    void prepare_chat(HttpRequest req, const std::shared_ptr<RequestScope>& scope, TokenRecord token);
    void route_api(const HttpRequest& req, const std::shared_ptr<RequestScope>& scope, const TokenRecord& token);

    ApiContext& ctx_;
};

}  // namespace clawbot::service
