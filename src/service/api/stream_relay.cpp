#include "service/api/stream_relay.h"

namespace clawbot::service {

void StreamRelay::watch(const std::shared_ptr<CompletionControl>& control) {
    // The exchange's close covers both a pending reply and a started stream.
    scope_->on_close([control] { control->cancel(); });
}

void StreamRelay::send(std::string_view chunk) {
    std::lock_guard lock(mutex_);
    if (claimed_) return;
    if (!stream_) stream_ = scope_->start_stream();
    stream_->send(chunk);
}

void StreamRelay::finish() {
    std::lock_guard lock(mutex_);
    if (claimed_) return;
    if (!stream_) stream_ = scope_->start_stream();
    stream_->finish();
}

bool StreamRelay::claim_unstarted() {
    std::lock_guard lock(mutex_);
    if (stream_ || claimed_) return false;
    claimed_ = true;
    return true;
}

}  // namespace clawbot::service
