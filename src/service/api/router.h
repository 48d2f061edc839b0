#pragma once
// The API's HttpHandler: matches method and path, checks the bearer token
// for API routes, and hands the request to its route.
#include "service/api/api_context.h"
#include "service/api/request_scope.h"
#include "service/auth/token_record.h"
#include "service/http/http_handler.h"

namespace clawbot::service {

class ApiRouter final : public HttpHandler {
public:
    explicit ApiRouter(ApiContext& ctx) : ctx_(ctx) {}
    void handle(HttpRequest request, std::shared_ptr<Responder> responder) override;

private:
    // The caller's token, or nullopt after answering 401/503 itself.
    std::optional<TokenRecord> authenticate(const HttpRequest& req, const std::shared_ptr<RequestScope>& scope);
    void route_api(const HttpRequest& req, const std::shared_ptr<RequestScope>& scope, const TokenRecord& token);

    ApiContext& ctx_;
};

}  // namespace clawbot::service
