// Doctor check of memory: will the model file plus the KV cache the engine
// allocates fit in this machine (and its cgroup)?
#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "cli/doctor_checks.h"
#include "engine/model/model_facts.h"
#include "service/app/host_memory.h"

namespace clawbot::cli::doctor {
namespace {

constexpr const char* kSubject = "memory";
std::string memory_text(const service::HostMemory& m) {
    std::string text = human_bytes(m.total) + " total, " + human_bytes(m.available) + " available";
    if (m.cgroup_limit < m.total) text += ", cgroup limit " + human_bytes(m.cgroup_limit);
    return text;
}

// The KV cache the engine allocates when KV capacity is not configured, at
// the context the engine will use (CTX_SIZE capped at the trained one).
// `shape` says how the token count came about.
std::uint64_t kv_cache_bytes(const service::Settings& s, const ModelFacts& f, std::string& shape) {
    const ServingMemory memory = serving_memory(f.config, f.weight_bytes, s.ctx_size, s.max_batch_size);
    const KvBudget& kv = memory.kv;
    const int context = memory.context;
    shape = std::to_string(kv.tokens) + " tokens: " +
            (kv.capped ? std::string("capped at 1 GiB")
                       : std::to_string(std::max(s.max_batch_size, 1)) + " sequences x " + std::to_string(context)) +
            (kv.window_blocks > 0 ? ", the sliding-window layers " + human_bytes(static_cast<std::uint64_t>(kv.window_bytes)) +
                                        " for their windows"
                                  : std::string());
    return static_cast<std::uint64_t>(kv.bytes());
}

}  // namespace

CheckLine check_memory(const service::Settings& s, const std::optional<ModelFacts>& facts) {
    const service::HostMemory m = service::read_host_memory();
    if (m.total == 0) return CheckLine::skip(kSubject, "cannot read /proc/meminfo");
    if (s.provider != "local") return CheckLine::ok(kSubject, memory_text(m) + "; cloud mode runs no model here");
    if (!facts) return CheckLine::skip(kSubject, memory_text(m) + "; no model loaded to compare with");

    std::string kv_shape;
    const std::uint64_t kv = kv_cache_bytes(s, *facts, kv_shape);
    const std::uint64_t need = facts->weight_bytes + kv;
    const std::uint64_t limit = std::min(m.total, m.cgroup_limit);
    const std::string needs = "the model needs about " + human_bytes(need) + " (weights " + human_bytes(facts->weight_bytes) +
                              " from a " + human_bytes(facts->file_bytes) + " file + KV cache " + human_bytes(kv) +
                              " for " + kv_shape + ")";
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
