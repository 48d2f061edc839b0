#pragma once
// How much memory this host (and the cgroup the process runs in) has, for
// `clawbot doctor` and the memory check when `serve` loads a model.
#include <cstdint>
#include <limits>

namespace clawbot::service {

constexpr std::uint64_t kNoMemoryLimit = std::numeric_limits<std::uint64_t>::max();

struct HostMemory {
    std::uint64_t total = 0;      // MemTotal; 0 when /proc/meminfo cannot be read
    std::uint64_t available = 0;  // MemAvailable
    std::uint64_t cgroup_limit = kNoMemoryLimit;
    std::uint64_t limit() const { return total < cgroup_limit ? total : cgroup_limit; }
};

HostMemory read_host_memory();

}  // namespace clawbot::service
