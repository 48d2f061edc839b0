#pragma once
// Carries a completion from the provider's thread to the client as an SSE
// response. The response starts with the first chunk, not before: a
// completion that fails before it produced anything (an upstream that kept
// refusing through its retries, say) is answered with a plain HTTP error
// status instead of a 200 stream holding an error event.
#include <memory>
#include <mutex>
#include <string_view>

#include "service/api/request_scope.h"
#include "service/provider/provider.h"

namespace clawbot::service {

class StreamRelay {
public:
    explicit StreamRelay(std::shared_ptr<RequestScope> scope) : scope_(std::move(scope)) {}

    // The provider accepted the request: a client that leaves cancels it.
    void watch(const std::shared_ptr<CompletionControl>& control);
    // Starts the SSE response on the first call.
    void send(std::string_view chunk);
    // Ends the SSE response (starting it first if nothing was sent).
    void finish();
    // true when nothing was sent yet; the relay then stays silent for good,
    // so the caller can answer with a plain response instead.
    bool claim_unstarted();

private:
    std::shared_ptr<RequestScope> scope_;
    std::mutex mutex_;
    std::shared_ptr<EventStream> stream_;
    bool claimed_ = false;
};

}  // namespace clawbot::service
