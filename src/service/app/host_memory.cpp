#include "service/app/host_memory.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

namespace clawbot::service {
namespace {


// A field of /proc/meminfo in bytes ("MemTotal:  4030000 kB").
std::uint64_t meminfo_bytes(const std::string& meminfo, const std::string& field) {
    std::istringstream lines(meminfo);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(field + ":", 0) != 0) continue;
        std::istringstream value(line.substr(field.size() + 1));
        std::uint64_t kib = 0;
        value >> kib;
        return kib * 1024;
    }
    return 0;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// A limit file's number; kNoMemoryLimit for "max", a missing file or junk.
std::uint64_t limit_in(const std::string& path) {
    const std::string text = read_text(path);
    if (text.empty() || text.rfind("max", 0) == 0) return kNoMemoryLimit;
    try {
        return std::stoull(text);
    } catch (const std::exception&) {
        return kNoMemoryLimit;
    }
}

// The lowest memory.max from this process's cgroup (v2) up to the root,
// or the v1 memory controller's limit.
std::uint64_t cgroup_limit() {
    const std::string root = "/sys/fs/cgroup";
    std::uint64_t lowest = limit_in(root + "/memory/memory.limit_in_bytes");
    std::istringstream lines(read_text("/proc/self/cgroup"));
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("0::", 0) != 0) continue;
        for (std::string dir = line.substr(3); !dir.empty(); dir = dir.substr(0, dir.rfind('/'))) {
            lowest = std::min(lowest, limit_in(root + dir + "/memory.max"));
            if (dir == "/") break;
        }
        lowest = std::min(lowest, limit_in(root + "/memory.max"));
    }
    return lowest;
}

}  // namespace

HostMemory read_host_memory() {
    const std::string meminfo = read_text("/proc/meminfo");
    HostMemory m;
    m.total = meminfo_bytes(meminfo, "MemTotal");
    m.available = meminfo_bytes(meminfo, "MemAvailable");
    m.cgroup_limit = cgroup_limit();
    return m;
}

}  // namespace clawbot::service
