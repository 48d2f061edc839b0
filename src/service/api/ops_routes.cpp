// /healthz, /readyz and /metrics.
#include "service/api/json_body.h"
#include "service/api/routes.h"

namespace clawbot::service {

void handle_healthz(const HttpRequest&, const Scope& scope) { scope->respond(json_response(200, {{"status", "ok"}})); }

void handle_readyz(const HttpRequest&, const Scope& scope) {
    ApiContext& ctx = scope->ctx();
    auto not_ready = [&scope](const std::string& reason) {
        scope->respond(json_response(503, {{"status", "not_ready"}, {"reason", reason}}));
    };
    if (!ctx.provider) return not_ready("no model loaded (set MODEL_PATH)");
    if (auto why = ctx.provider->not_ready_reason()) return not_ready(*why);
    // The store is asked now (a probe after an outage must see it back at
    // once), on a store thread: the I/O thread never waits for it.
    auto ping = [scope] {
        ApiContext& c = scope->ctx();
        if (auto pong = c.store.ping(); !pong) {
            return scope->respond(json_response(503, {{"status", "not_ready"}, {"reason", "store unreachable: " + pong.error().message}}));
        }
        scope->respond(json_response(200, {{"status", "ready"}, {"model", c.provider->model_name()}}));
    };
    if (!ctx.store_reads.try_post(std::move(ping))) not_ready("store busy: too many store calls waiting (STORE_QUEUE)");
}

void handle_metrics(const HttpRequest&, const Scope& scope) {
    HttpResponse r;
    r.status = 200;
    r.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    r.body = scope->ctx().registry.render();
    scope->respond(std::move(r));
}

}  // namespace clawbot::service
