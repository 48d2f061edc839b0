#include "service/api/router.h"

#include "service/api/json_body.h"
#include "service/api/routes.h"
#include "service/auth/bearer.h"
#include "service/auth/token_verifier.h"

namespace clawbot::service {
namespace {

constexpr std::string_view kConversationsPrefix = "/api/v1/conversations/";
constexpr std::string_view kModelsPrefix = "/v1/models/";

// The route pattern used in metrics and logs: one of a fixed set, never
// the raw path, so no label value comes from what a client made up.
std::string route_name(const std::string& path) {
    static constexpr std::string_view kRoutes[] = {"/",        "/api/v1/chat", "/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/models",
                                                   "/api/v1/conversations", "/healthz", "/readyz", "/metrics"};
    if (path.rfind(kConversationsPrefix, 0) == 0) {
        return path.find('/', kConversationsPrefix.size()) == std::string::npos
                   ? "/api/v1/conversations/{id}"
                   : "/api/v1/conversations/{id}/messages/{id}";
    }
    if (path.rfind(kModelsPrefix, 0) == 0) return "/v1/models/{id}";
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

HttpResponse unauthorized(const char* message) {
    HttpResponse r = error_response(401, "unauthorized", message);
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
}

}  // namespace

std::optional<ApiRouter::Verdict> ApiRouter::check_header(const HttpRequest& head, TokenDigest& ask_store) {
    const auto header = head.header("Authorization");
    if (!header) return unauthorized("missing 'Authorization: Bearer <token>' header");
    const auto token = parse_bearer(*header);
    if (!token) return unauthorized("the Authorization header must be 'Bearer <token>'");
    auto digest = digest_access_token(*token);
    if (!digest) return error_response(500, "internal_error", "cannot hash the access token");
    const TokenCache::Answer cached = ctx_.tokens.lookup(*digest);
    switch (cached.verdict) {
        case TokenCache::Verdict::Valid: return cached.record;
        case TokenCache::Verdict::Refused: return unauthorized("invalid or revoked token");
        case TokenCache::Verdict::Unknown: break;
    }
    ask_store = *digest;
    return std::nullopt;
}

ApiRouter::Verdict ApiRouter::verify_with_store(const TokenDigest& digest) {
    auto found = ctx_.store.find_token(digest);
    if (!found) {
        ctx_.log.event("error", "store: token lookup failed: " + found.error().message);
        return error_response(503, "store_unavailable", "the token store is unavailable");
    }
    std::optional<TokenRecord> accepted = accept_stored_token(*found, digest);
    if (!accepted) return unauthorized("invalid or revoked token");
    ctx_.tokens.remember(**found);
    return std::move(*accepted);
}

void ApiRouter::with_token(HttpRequest req, const Scope& scope, TokenContinuation next) {
    Verdict verdict;
    if (const auto* screened = std::any_cast<TokenRecord>(&req.screened)) {
        verdict = *screened;
    } else {
        TokenDigest digest{};
        auto decided = check_header(req, digest);
        if (!decided) {
            auto job = [this, req = std::make_shared<HttpRequest>(std::move(req)), scope, digest, next = std::move(next)] {
                continue_with(verify_with_store(digest), *req, scope, next);
            };
            return on_store(ctx_.store_reads, scope, std::move(job));
        }
        verdict = std::move(*decided);
    }
    continue_with(std::move(verdict), req, scope, next);
}

void ApiRouter::continue_with(Verdict verdict, HttpRequest& req, const Scope& scope, const TokenContinuation& next) {
    if (auto* refusal = std::get_if<HttpResponse>(&verdict)) return scope->respond(std::move(*refusal));
    const TokenRecord& token = std::get<TokenRecord>(verdict);
    scope->set_token_id(token.id);
    next(req, scope, token);
}

bool ApiRouter::needs_token(const HttpRequest& req) const {
    if (req.path == "/metrics") return !ctx_.settings.metrics_public;
    // A browser's CORS preflight carries no credentials, by the standard.
    if (req.method == "OPTIONS") return false;
    return is_api_path(req.path);
}

Screening ApiRouter::screen(const HttpRequest& head) {
    Screening screening;
    if (!needs_token(head)) return screening;
    // What a refusal is recorded with, owned: a deferred one outlives `head`.
    struct Refused {
        std::string method, route, remote;
    };
    // A page on an allowed origin must be able to read its 401 (nothing is
    // built when CORS is off or the request names no allowed origin).
    auto cors = ctx_.cors.response_headers(head.header("Origin").value_or(""));
    auto refuse = [this, cors](const Refused& who, HttpResponse refusal) {
        for (const auto& header : cors) refusal.headers.push_back(header);
        RequestRecord record;
        record.method = who.method;
        record.route = who.route;
        record.remote = who.remote;
        record.status = refusal.status;
        record_request(ctx_, record);
        Screening refused;
        refused.refusal = std::move(refusal);
        return refused;
    };
    // Built only for a refusal or a deferred decision, not for every request.
    auto who = [&head] { return Refused{head.method, route_name(head.path), head.remote_address}; };
    TokenDigest digest{};
    if (auto verdict = check_header(head, digest)) {
        if (auto* refusal = std::get_if<HttpResponse>(&*verdict)) return refuse(who(), std::move(*refusal));
        screening.attachment = std::move(std::get<TokenRecord>(*verdict));
        return screening;
    }
    screening.decide_later = [this, refuse, who = who(), digest](std::function<void(Screening)> decide) {
        auto job = [this, refuse, who, digest, decide] {
            Verdict verdict = verify_with_store(digest);
            if (auto* refusal = std::get_if<HttpResponse>(&verdict)) return decide(refuse(who, std::move(*refusal)));
            Screening accepted;
            accepted.attachment = std::move(std::get<TokenRecord>(verdict));
            decide(std::move(accepted));
        };
        if (!ctx_.store_reads.try_post(job)) decide(refuse(who, store_busy_response()));
    };
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
        if (ctx_.settings.metrics_public) return handle_metrics(req, scope);
        return with_token(std::move(req), scope, [](HttpRequest& r, const Scope& s, const TokenRecord&) { handle_metrics(r, s); });
    }
    if (is_api_path(path) && req.method == "OPTIONS") return handle_preflight(req, scope);
    if (is_api_path(path)) {
        return with_token(std::move(req), scope, [this](HttpRequest& r, const Scope& s, const TokenRecord& token) {
            if (r.method == "POST" && (r.path == "/api/v1/chat" || r.path == "/v1/chat/completions" || r.path == "/v1/completions" ||
                                       r.path == "/v1/embeddings")) {
                return prepare_chat(r, s, token);
            }
            route_api(r, s, token);
        });
    }
    if (get && handle_static(req, scope)) return;
    scope->respond(error_response(404, "not_found", "no such route: " + path));
}

void ApiRouter::handle_preflight(const HttpRequest& req, const Scope& scope) {
    const std::string origin(req.header("Origin").value_or(""));
    if (!ctx_.cors.allows(origin)) {
        return scope->respond(error_response(403, "cors_origin_not_allowed",
                                             "this origin may not call the API from a browser (CORS_ORIGINS)"));
    }
    HttpResponse r;
    r.status = 204;
    r.headers = CorsPolicy::preflight_headers();  // the scope adds Allow-Origin
    scope->respond(std::move(r));
}

void ApiRouter::prepare_chat(HttpRequest& req, const Scope& scope, const TokenRecord& token) {
    // Parsing the body, reading the history, rendering the template and
    // tokenizing take milliseconds for a long conversation: an I/O thread
    // must not spend them while other connections wait.
    auto job = [this, req = std::make_shared<HttpRequest>(std::move(req)), scope, token] { route_api(*req, scope, token); };
    if (ctx_.prep.try_post(std::move(job))) return;
    // The same answer as any other overload (counted as "overloaded").
    respond_start_error(scope, StartError{StartErrorCode::Overloaded, "too many chat requests being prepared; retry later", 1});
}

void ApiRouter::route_api(const HttpRequest& req, const Scope& scope, const TokenRecord& token) {
    const std::string& path = req.path;
    const std::string& m = req.method;
    if (path == "/api/v1/chat") return m == "POST" ? handle_chat(req, scope, token) : scope->respond(method_not_allowed("POST"));
    if (path == "/v1/chat/completions") {
        return m == "POST" ? handle_chat_completions(req, scope, token) : scope->respond(method_not_allowed("POST"));
    }
    if (path == "/v1/embeddings") {
        return m == "POST" ? handle_embeddings(req, scope, token) : scope->respond(method_not_allowed("POST"));
    }
    if (path == "/v1/completions") {
        return m == "POST" ? handle_text_completions(req, scope, token) : scope->respond(method_not_allowed("POST"));
    }
    if (path == "/v1/models") return m == "GET" ? handle_models(req, scope) : scope->respond(method_not_allowed("GET"));
    if (path.rfind(kModelsPrefix, 0) == 0) {
        // Model ids hold no '/' here; a client's URL-encoded id is compared as sent.
        return m == "GET" ? handle_model(req, scope, path.substr(kModelsPrefix.size())) : scope->respond(method_not_allowed("GET"));
    }
    if (path == "/api/v1/conversations") {
        if (m == "GET") return handle_list_conversations(req, scope, token);
        if (m == "POST") return handle_create_conversation(req, scope, token);
        return scope->respond(method_not_allowed("GET, POST"));
    }
    if (path.rfind(kConversationsPrefix, 0) == 0) {
        std::string id = path.substr(kConversationsPrefix.size());
        // {id}/messages/{message_id}: one message and every later one.
        constexpr std::string_view kMessages = "/messages/";
        if (const size_t slash = id.find('/'); slash != std::string::npos) {
            const std::string message_id = id.substr(std::min(slash + kMessages.size(), id.size()));
            if (slash == 0 || id.compare(slash, kMessages.size(), kMessages) != 0 || message_id.empty() ||
                message_id.find('/') != std::string::npos) {
                return scope->respond(error_response(404, "not_found", "no such route: " + path));
            }
            id.resize(slash);
            if (m == "DELETE") return handle_delete_messages_from(req, scope, token, id, message_id);
            return scope->respond(method_not_allowed("DELETE"));
        }
        if (id.empty()) return scope->respond(error_response(404, "not_found", "no such conversation"));
        if (m == "GET") return handle_get_conversation(req, scope, token, id);
        if (m == "PATCH") return handle_update_conversation(req, scope, token, id);
        if (m == "DELETE") return handle_delete_conversation(req, scope, token, id);
        return scope->respond(method_not_allowed("GET, PATCH, DELETE"));
    }
    scope->respond(error_response(404, "not_found", "no such route: " + path));
}

}  // namespace clawbot::service
