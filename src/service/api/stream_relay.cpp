#include "service/api/stream_relay.h"

namespace clawbot::service {

void StreamRelay::attach(std::shared_ptr<EventStream> stream, std::shared_ptr<CompletionControl> control) {
    stream->on_close([control] { control->cancel(); });
    std::lock_guard lock(mutex_);
    stream_ = std::move(stream);
    for (std::string& chunk : pending_) stream_->send(chunk);
    pending_.clear();
    if (finished_) stream_->finish();
}

void StreamRelay::send(std::string chunk) {
    std::lock_guard lock(mutex_);
    if (stream_) {
        stream_->send(chunk);
    } else {
        pending_.push_back(std::move(chunk));
    }
}

void StreamRelay::finish() {
    std::lock_guard lock(mutex_);
    finished_ = true;
    if (stream_) stream_->finish();
}

}  // namespace clawbot::service
