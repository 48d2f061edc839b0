// Doctor check of memory: will the model file plus the KV cache the engine
// allocates fit in this machine (and its cgroup)?
#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "cli/doctor_checks.h"
#include "engine/model/model_facts.h"

namespace clawbot::cli::doctor {
namespace {

constexpr const char* kSubject = "memory";
constexpr std::uint64_t kNoLimit = std::numeric_limits<std::uint64_t>::max();

struct MemoryFacts {
    std::uint64_t total = 0;
    std::uint64_t available = 0;
    std::uint64_t cgroup_limit = kNoLimit;
};

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

// A limit file's number; kNoLimit for "max", a missing file or junk.
std::uint64_t limit_in(const std::string& path) {
    const std::string text = read_text(path);
    if (text.empty() || text.rfind("max", 0) == 0) return kNoLimit;
    try {
        return std::stoull(text);
    } catch (const std::exception&) {
        return kNoLimit;
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

MemoryFacts read_memory() {
    const std::string meminfo = read_text("/proc/meminfo");
    MemoryFacts m;
    m.total = meminfo_bytes(meminfo, "MemTotal");
    m.available = meminfo_bytes(meminfo, "MemAvailable");
    m.cgroup_limit = cgroup_limit();
    return m;
}

std::string memory_text(const MemoryFacts& m) {
    std::string text = human_bytes(m.total) + " total, " + human_bytes(m.available) + " available";
    if (m.cgroup_limit < m.total) text += ", cgroup limit " + human_bytes(m.cgroup_limit);
    return text;
}

// The KV cache the engine allocates when KV capacity is not configured, at
// the context the engine will use (CTX_SIZE capped at the trained one).
// `shape` says how the token count came about.
std::uint64_t kv_cache_bytes(const service::Settings& s, const ModelFacts& f, std::string& shape) {
    const ServingMemory memory = serving_memory(f.config, f.file_bytes, s.ctx_size, s.max_batch_size);
    const KvBudget& kv = memory.kv;
    const int context = memory.context;
    shape = std::to_string(kv.tokens) + " tokens: " +
            (kv.capped ? std::string("capped at 1 GiB")
                       : std::to_string(std::max(s.max_batch_size, 1)) + " sequences x " + std::to_string(context));
    return static_cast<std::uint64_t>(kv.bytes());
}

}  // namespace

CheckLine check_memory(const service::Settings& s, const std::optional<ModelFacts>& facts) {
    const MemoryFacts m = read_memory();
    if (m.total == 0) return CheckLine::skip(kSubject, "cannot read /proc/meminfo");
    if (s.provider != "local") return CheckLine::ok(kSubject, memory_text(m) + "; cloud mode runs no model here");
    if (!facts) return CheckLine::skip(kSubject, memory_text(m) + "; no model loaded to compare with");

    std::string kv_shape;
    const std::uint64_t kv = kv_cache_bytes(s, *facts, kv_shape);
    const std::uint64_t need = facts->file_bytes + kv;
    const std::uint64_t limit = std::min(m.total, m.cgroup_limit);
    const std::string needs = "the model needs about " + human_bytes(need) + " (file " + human_bytes(facts->file_bytes) +
                              " + KV cache " + human_bytes(kv) + " for " + kv_shape + ")";
    const std::string smaller =
        "use a smaller or more quantized model (Q4_K_M is about a quarter of F16), or lower CTX_SIZE or "
        "MAX_BATCH_SIZE (the KV cache grows with both)";
    if (need > limit) {
        return CheckLine::fail(kSubject, needs + " but this machine has " + memory_text(m), smaller + ", or add memory");
    }
    if (need > m.available) {
        return CheckLine::warn(kSubject, needs + " but only " + human_bytes(m.available) + " is available now (" +
                                             memory_text(m) + ")",
                               "stop what else uses memory, or " + smaller);
    }
    if (need > limit / 10 * 9) {
        return CheckLine::warn(kSubject, needs + ", tight against " + memory_text(m),
                               "leave headroom for the service and the page cache: " + smaller);
    }
    return CheckLine::ok(kSubject, needs + "; " + memory_text(m));
}

}  // namespace clawbot::cli::doctor
