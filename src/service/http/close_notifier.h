#pragma once
// The on_close callbacks of one exchange. Shared by the exchange (where the
// handler registers them) and the session (which fires them when the
// exchange ends), so they still run when the handler has already dropped
// its Responder or EventStream. Thread-safe. Internal to the HTTP layer.
#include <atomic>
#include <functional>
#include <mutex>
#include <vector>

namespace clawbot::service {

class CloseNotifier {
public:
    // Runs `callback` at fire(), or at once (on this thread) if fire() has
    // already happened.
    void add(std::function<void()> callback);
    // Runs the callbacks, once; later calls do nothing.
    void fire();
    bool fired() const { return fired_.load(); }

private:
    std::mutex mutex_;
    std::atomic<bool> fired_{false};
    std::vector<std::function<void()>> callbacks_;
};

}  // namespace clawbot::service
