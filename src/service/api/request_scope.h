#pragma once
// One request from arrival to its last byte: answers through the
// responder, and when the scope ends records the request's metrics and its
// log line. Handlers keep the scope alive (shared_ptr) until they are done,
// also across threads for streamed replies.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "service/api/api_context.h"
#include "service/http/http_handler.h"

namespace clawbot::service {

// What the metrics and the request log record of one finished request.
struct RequestRecord {
    std::string_view method;  // as sent; recorded as method_label()
    std::string route;        // a route_name(), never a raw path
    std::string_view remote;
    int status = 0;
    double seconds = 0;
    int prompt_tokens = 0, completion_tokens = 0, cached_tokens = 0;
    std::string_view token_id;
};

// Counts the request in the metrics and writes its log line. RequestScope
// does this when it ends; a request refused before any scope (at its
// header) is recorded with it directly.
void record_request(ApiContext& ctx, const RequestRecord& record);

class RequestScope {
public:
    RequestScope(ApiContext& ctx, const HttpRequest& request, std::string route, std::shared_ptr<Responder> responder);
    ~RequestScope();
    RequestScope(const RequestScope&) = delete;
    RequestScope& operator=(const RequestScope&) = delete;

    // Both add the CORS headers when the request came from an allowed origin.
    void respond(HttpResponse response);
    std::shared_ptr<EventStream> start_stream(std::vector<std::pair<std::string, std::string>> headers = {});

    // Runs `callback` when the exchange is over: answered, or the client
    // went away first (then the work behind it can stop).
    void on_close(std::function<void()> callback) { responder_->on_close(std::move(callback)); }

    void set_token_id(std::string id) { token_id_ = std::move(id); }
    // Records what the reply used (metrics, log, the token's rate limit)
    // and logs a conversation that had to drop turns to fit.
    void set_usage(const CompletionUsage& usage);
    // A reply that had started (200 sent) but failed before its end: counted
    // with this status, not as a success.
    void mark_failed(int status) { status_ = status; }
    const std::string& token_id() const { return token_id_; }
    // Records time to first token once.
    void first_token();

    ApiContext& ctx() { return ctx_; }
    const std::string& route() const { return route_; }

private:
    ApiContext& ctx_;
    std::shared_ptr<Responder> responder_;
    std::string method_, route_, remote_, token_id_;
    std::string cors_origin_;  // the request's Origin when CORS_ORIGINS allows it, else ""
    std::chrono::steady_clock::time_point start_;
    int status_ = 0;
    int prompt_tokens_ = 0, completion_tokens_ = 0, cached_tokens_ = 0;
    bool first_token_seen_ = false;
};

}  // namespace clawbot::service
