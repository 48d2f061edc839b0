// /healthz, /readyz and /metrics.
#include "service/api/json_body.h"
#include "service/api/routes.h"

namespace clawbot::service {

void handle_healthz(const HttpRequest&, const Scope& scope) { scope->respond(json_response(200, {{"status", "ok"}})); }

void handle_readyz(const HttpRequest&, const Scope& scope) {
    ApiContext& ctx = scope->ctx();
    std::string reason;
    if (!ctx.provider) {
        reason = "no model loaded (set MODEL_PATH)";
    } else if (auto why = ctx.provider->not_ready_reason()) {
        reason = *why;
    } else if (auto ping = ctx.store.ping(); !ping) {
        reason = "store unreachable: " + ping.error().message;
    }
    if (!reason.empty()) return scope->respond(json_response(503, {{"status", "not_ready"}, {"reason", reason}}));
    scope->respond(json_response(200, {{"status", "ready"}, {"model", ctx.provider->model_name()}}));
}

void handle_metrics(const HttpRequest&, const Scope& scope) {
    HttpResponse r;
    r.status = 200;
    r.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    r.body = scope->ctx().registry.render();
    scope->respond(std::move(r));
}

}  // namespace clawbot::service
