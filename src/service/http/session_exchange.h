#pragma once
// The Responder and EventStream the handler holds for one exchange. Calls
// arrive on any thread; each is checked against the exchange's state under
// a mutex and then posted, still under the mutex, to the session's strand,
// so the strand sees them in the order the calls were made. Internal to the
// HTTP layer.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

#include "service/http/close_notifier.h"
#include "service/http/http_handler.h"

namespace clawbot::service {

class Session;

class SessionExchange final : public Responder,
                              public EventStream,
                              public std::enable_shared_from_this<SessionExchange> {
public:
    // `chunked_stream`: frame stream bytes as chunks (HTTP/1.1 clients).
    // `end`: fired by the session when the exchange is over.
    SessionExchange(std::shared_ptr<Session> session, std::uint64_t id, bool chunked_stream,
                    std::shared_ptr<CloseNotifier> end);
    ~SessionExchange() override;
    SessionExchange(const SessionExchange&) = delete;
    SessionExchange& operator=(const SessionExchange&) = delete;

    bool respond(HttpResponse response) override;
    std::shared_ptr<EventStream> start_stream(int status, HttpHeaders headers) override;
    bool send(std::string_view raw_chunk) override;
    void finish() override;
    bool closed() const override;
    void on_close(std::function<void()> callback) override;

private:
    enum class State { awaiting_reply, streaming, done };

    const std::shared_ptr<Session> session_;
    const std::uint64_t id_;
    const bool chunked_stream_;
    const std::shared_ptr<CloseNotifier> end_;

    mutable std::mutex mutex_;
    State state_ = State::awaiting_reply;
};

}  // namespace clawbot::service
