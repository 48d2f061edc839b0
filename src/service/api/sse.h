#pragma once
// Server-Sent Events framing.
#include <string>
#include <string_view>

namespace clawbot::service {

// "event: NAME\ndata: DATA\n\n" (DATA is one line of JSON).
std::string sse_event(std::string_view name, std::string_view data);
// "data: DATA\n\n", as OpenAI streams.
std::string sse_data(std::string_view data);

}  // namespace clawbot::service
