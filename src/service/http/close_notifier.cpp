#include "service/http/close_notifier.h"

#include <utility>

namespace clawbot::service {

namespace {

void run_guarded(const std::function<void()>& callback) {
    try {
        callback();
    } catch (...) {
        // A callback from the API must not take an I/O thread down.
    }
}

}  // namespace

void CloseNotifier::add(std::function<void()> callback) {
    if (!callback) return;
    {
        std::lock_guard lock(mutex_);
        if (!fired_.load()) {
            callbacks_.push_back(std::move(callback));
            return;
        }
    }
    run_guarded(callback);
}

void CloseNotifier::fire() {
    std::vector<std::function<void()>> callbacks;
    {
        std::lock_guard lock(mutex_);
        if (fired_.exchange(true)) return;
        callbacks.swap(callbacks_);
    }
    // Outside the lock: a callback may register another, or call the stream.
    for (const auto& callback : callbacks) run_guarded(callback);
}

}  // namespace clawbot::service
