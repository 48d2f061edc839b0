// `clawbot show MODEL`: what a GGUF file is (architecture, size, tensor
// types, context, chat format) and the memory serving it takes at the
// configured context and batch, from the same figures doctor checks.
#include <sys/stat.h>

#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/doctor_checks.h"
#include "engine/model/model.h"
#include "engine/model/model_facts.h"
#include "service/config/settings_loader.h"

namespace clawbot::cli {
namespace {

std::string billions(uint64_t n) {
    char text[32];
    if (n >= 1000000000ull) {
        std::snprintf(text, sizeof text, "%.2fB", static_cast<double>(n) / 1e9);
    } else {
        std::snprintf(text, sizeof text, "%.1fM", static_cast<double>(n) / 1e6);
    }
    return text;
}

}  // namespace

int run_show(const ShowOptions& o) {
    struct stat info {};
    if (::stat(o.model.c_str(), &info) != 0) return fail(o.model + ": no such file");
    // Mapped and validated, not packed: show reads, it does not serve.
    auto model = Model::load(o.model, LoadOptions{.repack = false});
    if (!model) return fail(model.error().message);
    const ModelFacts f = model_facts(**model, static_cast<uint64_t>(info.st_size));
    const ModelConfig& c = f.config;
    // The context and batch the service would use: the flags, else the
    // config file and environment (as `serve` reads them), else defaults.
    service::Settings settings;
    if (auto loaded = service::load_settings({}, service::process_environment(), o.config)) settings = *loaded;
    const int ctx_size = o.ctx_size.value_or(settings.ctx_size);
    const int max_batch = o.max_batch_size.value_or(settings.max_batch_size);
    const ServingMemory mem = serving_memory(c, weight_memory((*model)->file(), settings.repack_weights), ctx_size, max_batch);
    const std::string chat = f.model_template ? "the file's own template (" + f.template_family + " family)"
                                              : "built-in " + f.template_family +
                                                    (f.template_error.empty() ? " (the file has none)"
                                                                              : " (the file's does not parse: " + f.template_error + ")");
    if (o.json) {
        nlohmann::json j;
        j["architecture"] = f.architecture;
        j["name"] = f.name;
        j["file_bytes"] = f.file_bytes;
        j["parameters"] = f.parameters;
        for (const TensorTypeCount& t : f.types) {
            j["tensor_types"].push_back({{"type", std::string(dtype_name(t.type))}, {"tensors", t.tensors}, {"bytes", t.bytes}});
        }
        j["context_length"] = c.context_length;
        j["layers"] = c.n_layers;
        j["dim"] = c.dim;
        j["heads"] = c.n_heads;
        j["kv_heads"] = c.n_kv_heads;
        j["head_dim"] = c.head_dim;
        j["experts"] = c.n_experts;
        j["experts_used"] = c.n_experts_used;
        j["sliding_window"] = c.sliding_window;
        j["chat_template"] = {{"model_template", f.model_template}, {"family", f.template_family}, {"error", f.template_error}};
        j["serving"] = {{"context", mem.context},        {"max_batch_size", max_batch},
                        {"kv_tokens", mem.kv.tokens},    {"kv_cache_bytes", mem.kv.bytes()},
                        {"kv_window_blocks", mem.kv.window_blocks}, {"kv_window_bytes", mem.kv.window_bytes},
                        {"weights_bytes", mem.weights}, {"total_bytes", mem.total()}};
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::cout << o.model << "\n";
    std::cout << "  architecture    " << f.architecture << (f.name.empty() ? "" : " (" + f.name + ")") << "\n";
    std::cout << "  parameters      " << billions(f.parameters) << " in " << doctor::human_bytes(f.file_bytes) << "\n";
    std::cout << "  tensor types   ";
    for (const TensorTypeCount& t : f.types) {
        std::cout << " " << dtype_name(t.type) << " x" << t.tensors << " (" << doctor::human_bytes(t.bytes) << ")";
    }
    std::cout << "\n";
    std::cout << "  shape           " << c.n_layers << " layers, dim " << c.dim << ", " << c.n_heads << " heads / "
              << c.n_kv_heads << " KV heads of " << c.head_dim;
    if (c.n_experts > 0) std::cout << ", " << c.n_experts << " experts (" << c.n_experts_used << " per token)";
    if (c.sliding_window > 0) std::cout << ", sliding window " << c.sliding_window;
    std::cout << "\n";
    std::cout << "  context         " << c.context_length << " tokens (trained)\n";
    std::cout << "  chat format     " << chat << "\n";
    std::cout << "  serving memory  " << doctor::human_bytes(mem.total()) << ": weights " << doctor::human_bytes(mem.weights)
              << " + KV cache " << doctor::human_bytes(static_cast<uint64_t>(mem.kv.bytes())) << " (" << mem.kv.tokens
              << " tokens: " << (mem.kv.capped ? "capped at 1 GiB" : std::to_string(max_batch) + " sequences x " + std::to_string(mem.context))
              << (mem.kv.window_blocks > 0 ? ", the sliding-window layers " + doctor::human_bytes(static_cast<uint64_t>(mem.kv.window_bytes)) +
                                                 " for their windows"
                                           : std::string())
              << "; context " << ctx_size
              << (mem.context < ctx_size ? " capped at the trained " + std::to_string(mem.context) : std::string()) << ", batch "
              << max_batch << ")\n";
    return 0;
}

}  // namespace clawbot::cli
