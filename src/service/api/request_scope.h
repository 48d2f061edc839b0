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

class RequestScope {
public:
    RequestScope(ApiContext& ctx, const HttpRequest& request, std::string route, std::shared_ptr<Responder> responder);
    ~RequestScope();
    RequestScope(const RequestScope&) = delete;
    RequestScope& operator=(const RequestScope&) = delete;

    void respond(HttpResponse response);
    std::shared_ptr<EventStream> start_stream(std::vector<std::pair<std::string, std::string>> headers = {});

    // Runs `callback` when the exchange is over: answered, or the client
    // went away first (then the work behind it can stop).
    void on_close(std::function<void()> callback) { responder_->on_close(std::move(callback)); }

    void set_token_id(std::string id) { token_id_ = std::move(id); }
    void set_usage(int prompt, int completion, int cached);
    // Records time to first token once.
    void first_token();

    ApiContext& ctx() { return ctx_; }
    const std::string& route() const { return route_; }

private:
    ApiContext& ctx_;
    std::shared_ptr<Responder> responder_;
    std::string method_, route_, remote_, token_id_;
    std::chrono::steady_clock::time_point start_;
    int status_ = 0;
    int prompt_tokens_ = 0, completion_tokens_ = 0, cached_tokens_ = 0;
    bool first_token_seen_ = false;
};

}  // namespace clawbot::service
