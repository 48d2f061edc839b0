// Doctor check of the local model: MODEL_PATH is a GGUF file the engine can
// load. The file is mapped and validated exactly as `clawbot serve` does
// (every offset, shape, tensor type and the tokenizer) but never run, so this
// costs milliseconds even for a large model.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "cli/doctor_checks.h"
#include "engine/model/model_facts.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model/model.h"

namespace clawbot::cli::doctor {
namespace {

constexpr const char* kSubject = "model";

std::string count_text(std::uint64_t n) {
    char text[32];
    if (n >= 1'000'000'000) std::snprintf(text, sizeof text, "%.2fB", static_cast<double>(n) / 1e9);
    else if (n >= 1'000'000) std::snprintf(text, sizeof text, "%.1fM", static_cast<double>(n) / 1e6);
    else if (n >= 1'000) std::snprintf(text, sizeof text, "%.1fK", static_cast<double>(n) / 1e3);
    else std::snprintf(text, sizeof text, "%llu", static_cast<unsigned long long>(n));
    return text;
}

// "1.1 MiB of tensors, 292.5K parameters, q8_0 93% + f32 7%": the
// quantization as the share of tensor bytes each type holds.
std::string tensor_summary(const gguf::GgufFile& file) {
    std::uint64_t params = 0, bytes = 0;
    std::map<std::string_view, std::uint64_t> by_type;
    for (const gguf::TensorInfo& t : file.tensors()) {
        params += t.n_elements();
        bytes += t.n_bytes;
        by_type[dtype_name(t.type)] += t.n_bytes;
    }
    std::multimap<std::uint64_t, std::string_view, std::greater<>> largest;
    for (const auto& [type, type_bytes] : by_type) largest.emplace(type_bytes, type);
    std::string types;
    for (const auto& [type_bytes, type] : largest) {
        const double share = bytes ? 100.0 * static_cast<double>(type_bytes) / static_cast<double>(bytes) : 0.0;
        char pct[16];
        if (share > 0.0 && share < 0.5) std::snprintf(pct, sizeof pct, " <1%%");
        else std::snprintf(pct, sizeof pct, " %.0f%%", share);
        types += (types.empty() ? "" : " + ") + std::string(type) + pct;
    }
    return count_text(params) + " parameters, " + human_bytes(bytes) + " of tensors (" + types + ")";
}

// The engine's messages name the path ("PATH: ...", "... in 'PATH'");
// the line names it already.
std::string without_path(std::string message, const std::string& path) {
    const std::string prefix = path + ": ", suffix = " in '" + path + "'";
    if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
    if (message.size() > suffix.size() && message.compare(message.size() - suffix.size(), suffix.size(), suffix) == 0) {
        message.erase(message.size() - suffix.size());
    }
    return message;
}

}  // namespace

CheckLine check_model(const service::Settings& s, std::optional<ModelFacts>& facts) {
    facts.reset();
    if (s.provider != "local") return CheckLine::ok(kSubject, "none needed in cloud mode (PROVIDER=" + s.provider + ")");
    const std::string& path = s.model_path;
    if (path.empty()) {
        return CheckLine::fail(kSubject, "MODEL_PATH is not set, so every chat request answers 503",
                               "set MODEL_PATH=/path/to/model.gguf in the config file (or --model-path), or use "
                               "cloud mode (PROVIDER=openai)");
    }
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        const int error = errno;
        if (error == ENOENT) {
            return CheckLine::fail(kSubject, "MODEL_PATH " + path + " does not exist",
                                   "download a GGUF model to that path, or point MODEL_PATH at one");
        }
        return CheckLine::fail(kSubject, "cannot see MODEL_PATH " + path + ": " + std::strerror(error),
                               "check the path and the permissions of its directories");
    }
    if (!S_ISREG(info.st_mode)) {
        return CheckLine::fail(kSubject, "MODEL_PATH " + path + " is not a regular file",
                               "point MODEL_PATH at the .gguf file itself");
    }
    if (::access(path.c_str(), R_OK) != 0) {
        return CheckLine::fail(kSubject, "cannot read MODEL_PATH " + path + ": " + std::strerror(errno),
                               "chmod a+r " + path + " (the service user must read it)");
    }
    auto file = gguf::GgufFile::open(path);
    if (!file) {
        return CheckLine::fail(kSubject, path + " is not a valid GGUF file: " + without_path(file.error().message, path),
                               "download it again (an interrupted download is cut short), and check its checksum");
    }
    auto model = Model::load(path);
    if (!model) {
        return CheckLine::fail(kSubject, path + " is a GGUF file the engine cannot run: " + without_path(model.error().message, path),
                               "use a GGUF of a supported architecture (" + supported_architectures() +
                                   ") with tensor types " + supported_tensor_types() + " (e.g. a Q4_K_M file)");
    }
    const ModelConfig& c = (*model)->config();
    facts = ModelFacts{static_cast<std::uint64_t>(info.st_size), weight_memory((*model)->file(), s.repack_weights), c};
    return CheckLine::ok(kSubject, path + ": " + c.arch_name + ", " + tensor_summary(**file) + ", " +
                                       std::to_string(c.n_layers) + " layers, trained context " +
                                       std::to_string(c.context_length));
}

}  // namespace clawbot::cli::doctor
