#pragma once
// What one streamed chat completion told the load tool: the OpenAI chunk
// payloads of a response, read in order with the time each arrived.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clawbot::cli {

using LoadClock = std::chrono::steady_clock;

// The measurements of one request; `error` is empty when it succeeded.
struct RequestOutcome {
    int turn = 0;  // 1-based index of the turn in its conversation
    std::string error;
    std::string error_code;  // the server's error.code, when it sent one
    std::optional<double> ttft_s;  // request start to first non-empty content
    std::vector<double> gaps_s;    // between consecutive content chunks
    long completion_tokens = 0;    // from the usage chunk
    std::string content;           // the assistant's reply, for the history
};

class CompletionStream {
public:
    explicit CompletionStream(LoadClock::time_point started) : started_(started) {}

    // One SSE payload that arrived at `now`. After an error or [DONE] the
    // rest is ignored.
    void on_payload(std::string_view payload, LoadClock::time_point now);
    // The server sent [DONE] (or an error chunk): nothing more to read.
    bool finished() const { return done_ || !error_.empty(); }
    // Moves the measurements out; a stream that ended without [DONE] or
    // without usage is "malformed" (the server broke the protocol).
    RequestOutcome take();

private:
    LoadClock::time_point started_;
    std::optional<LoadClock::time_point> last_content_;
    RequestOutcome out_;
    std::string error_;
    bool usage_seen_ = false;
    bool done_ = false;
};

}  // namespace clawbot::cli
