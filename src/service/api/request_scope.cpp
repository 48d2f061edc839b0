#include "service/api/request_scope.h"

namespace clawbot::service {

ServiceMetrics::ServiceMetrics(MetricsRegistry& r)
    : requests(r.counter("clawbot_http_requests_total", "HTTP requests by route, method and status", {"route", "method", "status"})),
      request_seconds(r.histogram("clawbot_http_request_duration_seconds", "Time from request to last byte", latency_buckets())),
      ttft_seconds(r.histogram("clawbot_time_to_first_token_seconds", "Time from request to the first generated text", latency_buckets())),
      tokens(r.counter("clawbot_tokens_total", "Tokens by kind: prompt, completion, cached", {"kind"})),
      rejected(r.counter("clawbot_requests_rejected_total", "Chat requests refused before generation, by reason", {"reason"})) {}

RequestScope::RequestScope(ApiContext& ctx, const HttpRequest& request, std::string route, std::shared_ptr<Responder> responder)
    : ctx_(ctx),
      responder_(std::move(responder)),
      method_(request.method),
      route_(std::move(route)),
      remote_(request.remote_address),
      start_(std::chrono::steady_clock::now()) {}

RequestScope::~RequestScope() {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    ctx_.metrics.requests.inc({route_, method_, std::to_string(status_)});
    ctx_.metrics.request_seconds.observe(seconds);
    if (prompt_tokens_ || completion_tokens_) {
        ctx_.metrics.tokens.inc({"prompt"}, prompt_tokens_);
        ctx_.metrics.tokens.inc({"completion"}, completion_tokens_);
        ctx_.metrics.tokens.inc({"cached"}, cached_tokens_);
    }
    ctx_.log.request(RequestLogEntry{method_, route_, status_, seconds * 1000.0, prompt_tokens_, completion_tokens_,
                                     cached_tokens_, token_id_, remote_});
}

void RequestScope::respond(HttpResponse response) {
    status_ = response.status;
    responder_->respond(std::move(response));
}

std::shared_ptr<EventStream> RequestScope::start_stream(std::vector<std::pair<std::string, std::string>> headers) {
    status_ = 200;
    return responder_->start_stream(200, std::move(headers));
}

void RequestScope::set_usage(int prompt, int completion, int cached) {
    prompt_tokens_ = prompt;
    completion_tokens_ = completion;
    cached_tokens_ = cached;
}

void RequestScope::first_token() {
    if (first_token_seen_) return;
    first_token_seen_ = true;
    ctx_.metrics.ttft_seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
}

}  // namespace clawbot::service
