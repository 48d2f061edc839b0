#include "service/api/sse.h"

namespace clawbot::service {

std::string sse_event(std::string_view name, std::string_view data) {
    std::string out;
    out.reserve(name.size() + data.size() + 16);
    out.append("event: ").append(name).append("\ndata: ").append(data).append("\n\n");
    return out;
}

std::string sse_data(std::string_view data) {
    std::string out;
    out.reserve(data.size() + 8);
    out.append("data: ").append(data).append("\n\n");
    return out;
}

}  // namespace clawbot::service
