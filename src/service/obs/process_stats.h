#pragma once
// This process's CPU time, resident memory and open file descriptors, read
// from /proc for the metrics endpoint.
#include <cstdint>

namespace clawbot::service {

struct ProcessStats {
    double cpu_seconds = 0;
    uint64_t resident_bytes = 0;
    int open_fds = 0;
};

ProcessStats read_process_stats();

}  // namespace clawbot::service
