#include "service/api/request_scope.h"

namespace clawbot::service {

ServiceMetrics::ServiceMetrics(MetricsRegistry& r)
    : requests(r.counter("clawbot_http_requests_total", "HTTP requests by route, method and status", {"route", "method", "status"})),
      request_seconds(r.histogram("clawbot_http_request_duration_seconds", "Time from request to last byte", latency_buckets())),
      ttft_seconds(r.histogram("clawbot_time_to_first_token_seconds", "Time from request to the first generated text", latency_buckets())),
      tokens(r.counter("clawbot_tokens_total", "Tokens by kind: prompt, completion, cached", {"kind"})),
      rejected(r.counter("clawbot_requests_rejected_total", "Chat requests refused before generation, by reason", {"reason"})),
      truncated(r.counter("clawbot_conversations_truncated_total", "Replies whose prompt left out the oldest turns to fit the context")) {}

RequestScope::RequestScope(ApiContext& ctx, const HttpRequest& request, std::string route, std::shared_ptr<Responder> responder)
    : ctx_(ctx),
      responder_(std::move(responder)),
      method_(request.method),
      route_(std::move(route)),
      remote_(request.remote_address),
      start_(std::chrono::steady_clock::now()) {
    if (ctx_.cors.enabled()) {
        if (auto origin = request.header("Origin"); origin && ctx_.cors.allows(*origin)) cors_origin_ = std::string(*origin);
    }
}

void record_request(ApiContext& ctx, const RequestRecord& r) {
    const std::string method(method_label(r.method));
    ctx.metrics.requests.inc({r.route, method, std::to_string(r.status)});
    ctx.metrics.request_seconds.observe(r.seconds);
    if (r.prompt_tokens || r.completion_tokens) {
        ctx.metrics.tokens.inc({"prompt"}, r.prompt_tokens);
        ctx.metrics.tokens.inc({"completion"}, r.completion_tokens);
        ctx.metrics.tokens.inc({"cached"}, r.cached_tokens);
    }
    ctx.log.request(RequestLogEntry{method, r.route, r.status, r.seconds * 1000.0, r.prompt_tokens,
                                    r.completion_tokens, r.cached_tokens, std::string(r.token_id),
                                    std::string(r.remote)});
}

RequestScope::~RequestScope() {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    record_request(ctx_, RequestRecord{method_, route_, remote_, status_, seconds, prompt_tokens_, completion_tokens_,
                                       cached_tokens_, token_id_});
}

void RequestScope::respond(HttpResponse response) {
    status_ = response.status;
    if (!cors_origin_.empty()) {
        for (auto& header : ctx_.cors.response_headers(cors_origin_)) response.headers.push_back(std::move(header));
    }
    responder_->respond(std::move(response));
}

std::shared_ptr<EventStream> RequestScope::start_stream(std::vector<std::pair<std::string, std::string>> headers) {
    status_ = 200;
    if (!cors_origin_.empty()) {
        for (auto& header : ctx_.cors.response_headers(cors_origin_)) headers.push_back(std::move(header));
    }
    return responder_->start_stream(200, std::move(headers));
}

void RequestScope::set_usage(const CompletionUsage& usage) {
    prompt_tokens_ = usage.prompt_tokens;
    completion_tokens_ = usage.completion_tokens;
    cached_tokens_ = usage.cached_tokens;
    if (!token_id_.empty()) ctx_.rate_limiter.charge_tokens(token_id_, usage.prompt_tokens + usage.completion_tokens);
    if (usage.truncated_turns > 0) {
        ctx_.metrics.truncated.inc({}, 1);
        ctx_.log.event("info", "conversation too long for the context: the prompt left out its " +
                                   std::to_string(usage.truncated_turns) + " oldest messages (token " + token_id_ + ")");
    }
}

void RequestScope::first_token() {
    if (first_token_seen_) return;
    first_token_seen_ = true;
    ctx_.metrics.ttft_seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
}

}  // namespace clawbot::service
