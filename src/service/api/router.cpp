#include "service/api/router.h"

#include "service/api/json_body.h"
#include "service/api/routes.h"
#include "service/auth/bearer.h"
#include "service/auth/token_verifier.h"

namespace clawbot::service {
namespace {

constexpr std::string_view kConversationsPrefix = "/api/v1/conversations/";

// The route pattern used in metrics and logs (ids collapsed).
std::string route_name(const std::string& path) {
    if (path.rfind(kConversationsPrefix, 0) == 0) return "/api/v1/conversations/{id}";
    if (path == "/" || path.rfind("/api/", 0) == 0 || path.rfind("/v1/", 0) == 0 || path == "/healthz" ||
        path == "/readyz" || path == "/metrics") {
        return path;
    }
    return "static";
}

HttpResponse method_not_allowed(const std::string& allow) {
    HttpResponse r = error_response(405, "method_not_allowed", "use " + allow);
    r.headers.emplace_back("Allow", allow);
    return r;
}

bool is_api_path(const std::string& path) { return path.rfind("/api/", 0) == 0 || path.rfind("/v1/", 0) == 0; }

}  // namespace

std::optional<TokenRecord> ApiRouter::authenticate(const HttpRequest& req, const std::shared_ptr<RequestScope>& scope) {
    auto unauthorized = [&](const char* message) {
        HttpResponse r = error_response(401, "unauthorized", message);
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
        scope->respond(std::move(r));
        return std::nullopt;
    };
    const auto header = req.header("Authorization");
    if (!header) return unauthorized("missing 'Authorization: Bearer <token>' header");
    const auto token = parse_bearer(*header);
    if (!token) return unauthorized("the Authorization header must be 'Bearer <token>'");
    auto verified = verify_access_token(ctx_.store, *token);
    if (!verified) {
        scope->respond(error_response(503, "store_unavailable", "the token store is unavailable"));
        return std::nullopt;
    }
    if (!*verified) return unauthorized("invalid or revoked token");
    scope->set_token_id((*verified)->id);
    return **verified;
}

void ApiRouter::handle(HttpRequest req, std::shared_ptr<Responder> responder) {
    auto scope = std::make_shared<RequestScope>(ctx_, req, route_name(req.path), std::move(responder));
    const std::string& path = req.path;
    const bool get = req.method == "GET" || req.method == "HEAD";
    if (path == "/healthz") return get ? handle_healthz(req, scope) : scope->respond(method_not_allowed("GET"));
    if (path == "/readyz") return get ? handle_readyz(req, scope) : scope->respond(method_not_allowed("GET"));
    if (path == "/metrics") {
        if (!get) return scope->respond(method_not_allowed("GET"));
        if (!ctx_.settings.metrics_public && !authenticate(req, scope)) return;
        return handle_metrics(req, scope);
    }
    if (is_api_path(path)) {
        auto token = authenticate(req, scope);
        if (!token) return;
        return route_api(req, scope, *token);
    }
    if (get && handle_static(req, scope)) return;
    scope->respond(error_response(404, "not_found", "no such route: " + path));
}

void ApiRouter::route_api(const HttpRequest& req, const std::shared_ptr<RequestScope>& scope, const TokenRecord& token) {
    const std::string& path = req.path;
    const std::string& m = req.method;
    if (path == "/api/v1/chat") return m == "POST" ? handle_chat(req, scope, token) : scope->respond(method_not_allowed("POST"));
    if (path == "/v1/chat/completions") {
        return m == "POST" ? handle_chat_completions(req, scope, token) : scope->respond(method_not_allowed("POST"));
    }
    if (path == "/v1/models") return m == "GET" ? handle_models(req, scope) : scope->respond(method_not_allowed("GET"));
    if (path == "/api/v1/conversations") {
        if (m == "GET") return handle_list_conversations(req, scope, token);
        if (m == "POST") return handle_create_conversation(req, scope, token);
        return scope->respond(method_not_allowed("GET, POST"));
    }
    if (path.rfind(kConversationsPrefix, 0) == 0) {
        const std::string id = path.substr(kConversationsPrefix.size());
        if (id.empty() || id.find('/') != std::string::npos) {
            return scope->respond(error_response(404, "not_found", "no such conversation"));
        }
        if (m == "GET") return handle_get_conversation(req, scope, token, id);
        if (m == "DELETE") return handle_delete_conversation(req, scope, token, id);
        return scope->respond(method_not_allowed("GET, DELETE"));
    }
    scope->respond(error_response(404, "not_found", "no such route: " + path));
}

}  // namespace clawbot::service
