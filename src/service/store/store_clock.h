#pragma once
#include <chrono>
#include <cstdint>

namespace clawbot::service {

// Wall-clock unix time in milliseconds: what the store records and lists by.
inline std::int64_t unix_now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace clawbot::service
