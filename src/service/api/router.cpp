#include "service/api/router.h"

#include "service/api/json_body.h"
#include "service/api/routes.h"
#include "service/auth/bearer.h"
#include "service/auth/token_verifier.h"

namespace clawbot::service {
namespace {

constexpr std::string_view kConversationsPrefix = "/api/v1/conversations/";

// The route pattern used in metrics and logs: one of a fixed set, never
// the raw path, so no label value comes from what a client made up.
std::string route_name(const std::string& path) {
    static constexpr std::string_view kRoutes[] = {"/",        "/api/v1/chat", "/v1/chat/completions", "/v1/models",
                                                   "/api/v1/conversations", "/healthz", "/readyz", "/metrics"};
    if (path.rfind(kConversationsPrefix, 0) == 0) return "/api/v1/conversations/{id}";
    for (std::string_view route : kRoutes) {
        if (path == route) return std::string(route);
    }
    if (path.rfind("/api/", 0) == 0 || path.rfind("/v1/", 0) == 0) return "other";
    return "static";
}

HttpResponse method_not_allowed(const std::string& allow) {
    HttpResponse r = error_response(405, "method_not_allowed", "use " + allow);
    r.headers.emplace_back("Allow", allow);
    return r;
}

bool is_api_path(const std::string& path) { return path.rfind("/api/", 0) == 0 || path.rfind("/v1/", 0) == 0; }

}  // namespace

std::variant<TokenRecord, HttpResponse> ApiRouter::verify(const HttpRequest& req) {
    auto unauthorized = [](const char* message) {
        HttpResponse r = error_response(401, "unauthorized", message);
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
        return r;
    };
    const auto header = req.header("Authorization");
    if (!header) return unauthorized("missing 'Authorization: Bearer <token>' header");
    const auto token = parse_bearer(*header);
    if (!token) return unauthorized("the Authorization header must be 'Bearer <token>'");
    auto verified = verify_access_token(ctx_.store, *token);
    if (!verified) return error_response(503, "store_unavailable", "the token store is unavailable");
    if (!*verified) return unauthorized("invalid or revoked token");
    return **verified;
}

std::optional<TokenRecord> ApiRouter::authenticate(const HttpRequest& req, const std::shared_ptr<RequestScope>& scope) {
    if (const auto* screened = std::any_cast<TokenRecord>(&req.screened)) {
        scope->set_token_id(screened->id);
        return *screened;
    }
    auto verdict = verify(req);
    if (auto* refusal = std::get_if<HttpResponse>(&verdict)) {
        scope->respond(std::move(*refusal));
        return std::nullopt;
    }
    TokenRecord& token = std::get<TokenRecord>(verdict);
    scope->set_token_id(token.id);
    return std::move(token);
}

bool ApiRouter::needs_token(const HttpRequest& req) const {
    if (req.path == "/metrics") return !ctx_.settings.metrics_public;
    return is_api_path(req.path);
}

Screening ApiRouter::screen(const HttpRequest& head) {
    Screening screening;
    if (!needs_token(head)) return screening;
    auto verdict = verify(head);
    if (auto* refusal = std::get_if<HttpResponse>(&verdict)) {
        RequestRecord record;
        record.method = head.method;
        record.route = route_name(head.path);
        record.remote = head.remote_address;
        record.status = refusal->status;
        record_request(ctx_, record);
        screening.refusal = std::move(*refusal);
    } else {
        screening.attachment = std::move(std::get<TokenRecord>(verdict));
    }
    return screening;
}

void ApiRouter::on_rejected(std::string_view method, int status) {
    ctx_.metrics.requests.inc({"-", std::string(method_label(method)), std::to_string(status)});
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
        if (req.method == "POST" && (path == "/api/v1/chat" || path == "/v1/chat/completions")) {
            return prepare_chat(std::move(req), scope, std::move(*token));
        }
        return route_api(req, scope, *token);
    }
    if (get && handle_static(req, scope)) return;
    scope->respond(error_response(404, "not_found", "no such route: " + path));
}

void ApiRouter::prepare_chat(HttpRequest req, const std::shared_ptr<RequestScope>& scope, TokenRecord token) {
    // Parsing the body, reading the history, rendering the template and
    // tokenizing take milliseconds for a long conversation: an I/O thread
    // must not spend them while other connections wait.
    auto job = [this, req = std::make_shared<HttpRequest>(std::move(req)), scope, token = std::move(token)] {
        route_api(*req, scope, token);
    };
    if (ctx_.prep.try_post(std::move(job))) return;
    // The same answer as any other overload (counted as "overloaded").
    respond_start_error(scope, StartError{StartErrorCode::Overloaded, "too many chat requests being prepared; retry later", 1});
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
