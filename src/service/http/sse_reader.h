#pragma once
// Server-Sent Events framing for clients of an event stream (the cloud-mode
// upstream, the load tool): bytes in, complete event payloads out.
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace clawbot::service {

class SseReader {
public:
    // A line longer than this means the server is not speaking SSE; past it
    // the reader refuses more bytes instead of buffering without bound.
    static constexpr std::size_t kMaxLineBytes = 1 << 20;

    // Appends bytes as they came off the wire (any split). False once a
    // line has grown past kMaxLineBytes.
    bool feed(std::string_view bytes);
    // The next complete event's data (its "data:" lines joined by '\n'), if
    // one ended. Comment lines (":" keep-alives, queue positions) and other
    // fields are skipped.
    std::optional<std::string> next();

private:
    void take_line(std::string_view line);

    std::string partial_;  // bytes after the last '\n'
    std::string data_;     // data lines of the event being read
    bool has_data_ = false;
    bool overflow_ = false;
    std::deque<std::string> ready_;
};

}  // namespace clawbot::service
