#include "service/http/session_exchange.h"

#include <utility>

#include "service/http/session.h"
#include "service/http/wire_format.h"

namespace clawbot::service {

SessionExchange::SessionExchange(std::shared_ptr<Session> session, std::uint64_t id,
                                 bool chunked_stream, std::shared_ptr<CloseNotifier> end)
    : session_(std::move(session)), id_(id), chunked_stream_(chunked_stream), end_(std::move(end)) {}

SessionExchange::~SessionExchange() {
    // The handler let go without finishing: never leave the client hanging.
    if (end_->fired()) return;
    if (state_ == State::awaiting_reply) {
        session_->post_response(id_, json_error_response(500, "internal_error",
                                                         "the handler did not answer"));
    } else if (state_ == State::streaming) {
        session_->post_abort(id_, /*flush_first=*/true);
    }
}

bool SessionExchange::respond(HttpResponse response) {
    std::lock_guard lock(mutex_);
    if (state_ != State::awaiting_reply || end_->fired()) return false;
    state_ = State::done;
    session_->post_response(id_, std::move(response));
    return true;
}

std::shared_ptr<EventStream> SessionExchange::start_stream(int status, HttpHeaders headers) {
    std::lock_guard lock(mutex_);
    if (state_ == State::awaiting_reply && !end_->fired()) {
        state_ = State::streaming;
        session_->post_stream_start(id_, status, std::move(headers));
    }
    // Otherwise this stream is already closed() and ignores what it is sent.
    return shared_from_this();
}

bool SessionExchange::send(std::string_view raw_chunk) {
    // Framed outside the lock: the caller's thread pays, not the others.
    std::string bytes = chunked_stream_ ? frame_chunk(raw_chunk) : std::string(raw_chunk);
    std::lock_guard lock(mutex_);
    if (state_ != State::streaming || end_->fired()) return false;
    if (raw_chunk.empty()) return true;  // an empty chunk would end the body
    if (!session_->reserve_stream_bytes(bytes.size())) {
        // The client is too far behind; stop here rather than buffer without end.
        state_ = State::done;
        session_->post_abort(id_, /*flush_first=*/false);
        return false;
    }
    session_->post_stream_bytes(id_, std::move(bytes));
    return true;
}

void SessionExchange::finish() {
    std::lock_guard lock(mutex_);
    if (state_ != State::streaming || end_->fired()) return;
    state_ = State::done;
    session_->post_stream_finish(id_);
}

bool SessionExchange::closed() const {
    std::lock_guard lock(mutex_);
    return end_->fired() || state_ == State::done;
}

void SessionExchange::on_close(std::function<void()> callback) { end_->add(std::move(callback)); }

}  // namespace clawbot::service
