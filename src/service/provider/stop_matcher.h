#pragma once
// Finds stop strings in streamed text. Text that could still turn out to
// be the start of a stop string is held back until it is decided, so the
// client never sees any part of a stop string.
#include <string>
#include <string_view>
#include <vector>

namespace clawbot::service {

class StopMatcher {
public:
    explicit StopMatcher(std::vector<std::string> stops);

    // Feeds new text; returns what can be released now. After a stop string
    // is found, stopped() is true and the text from it on is dropped.
    std::string push(std::string_view text);
    // Releases whatever was held back (the stream ended without a stop).
    std::string flush();
    bool stopped() const { return stopped_; }

private:
    std::vector<std::string> stops_;
    std::string held_;
    bool stopped_ = false;
};

}  // namespace clawbot::service
