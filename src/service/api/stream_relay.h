#pragma once
// Carries a completion from the provider (engine thread) to an HTTP event
// stream that may not exist yet: events that arrive before the stream is
// attached are queued and sent on attach. Also cancels the completion when
// the client goes away.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "service/http/http_handler.h"
#include "service/provider/provider.h"

namespace clawbot::service {

class StreamRelay {
public:
    // Sends queued chunks, then everything later goes straight through.
    void attach(std::shared_ptr<EventStream> stream, std::shared_ptr<CompletionControl> control);
    void send(std::string chunk);
    void finish();

private:
    std::mutex mutex_;
    std::shared_ptr<EventStream> stream_;
    std::vector<std::string> pending_;
    bool finished_ = false;
};

}  // namespace clawbot::service
