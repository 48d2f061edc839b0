#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "cli/quant_mixture.h"
#include "cli/tensor_convert.h"
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/tensor/kernels.h"

namespace clawbot::cli {
namespace {

bool is_weight_matrix(const gguf::TensorInfo& t) {
    const std::string_view name = t.name;
    return t.n_dims == 2 && name.size() > 7 && name.substr(name.size() - 7) == ".weight";
}

// A one-line progress bar on stderr, redrawn after each tensor; silent
// when stderr is not a terminal (logs and pipes get only the summary).
class Progress {
public:
    explicit Progress(uint64_t total) : total_(total), enabled_(::isatty(STDERR_FILENO) == 1 && total > 0) {}
    void add(uint64_t done) {
        done_ += done;
        if (!enabled_) return;
        const int percent = static_cast<int>(done_ * 100 / total_);
        const int filled = percent * 30 / 100;
        std::fprintf(stderr, "\rclawbot: quantizing [%s%s] %3d%%", std::string(static_cast<size_t>(filled), '#').c_str(),
                     std::string(static_cast<size_t>(30 - filled), ' ').c_str(), percent);
        if (done_ >= total_) std::fputc('\n', stderr);
        std::fflush(stderr);
    }

private:
    uint64_t total_, done_ = 0;
    bool enabled_;
};

}  // namespace

// Streams tensor by tensor from the mapped input: 2-D weights are
// converted, everything else (norms, biases) is copied unchanged.
int run_quantize(const QuantizeOptions& o) {
    DType target;
    const std::optional<QuantMixture> mixture = find_mixture(o.type);
    if (mixture) {
        target = mixture->base;
    } else if (!parse_write_type(o.type, target)) {
        return fail("unsupported --type '" + o.type + "' (" + std::string(kQuantizeTypesHelp) + ")");
    }
    std::error_code ec;
    if (!o.force && std::filesystem::exists(o.output, ec)) {
        return fail(o.output + " already exists; pass --force to replace it");
    }
    auto file = gguf::GgufFile::open(o.input);
    if (!file) return fail(file.error().message);
    const gguf::GgufFile& in = **file;
    int n_layers = 0;
    for (const gguf::TensorInfo& t : in.tensors()) {
        n_layers = std::max(n_layers, layer_index(t.name) + 1);
    }
    for (const gguf::TensorInfo& t : in.tensors()) {
        if (is_weight_matrix(t) && t.type != DType::F32 && t.type != DType::F16 && t.type != DType::BF16) {
            return fail(o.input + ": tensor '" + std::string(t.name) + "' is already " + std::string(dtype_name(t.type)) +
                        "; quantize needs F32, F16 or BF16 weights");
        }
    }
    ThreadPool pool(resolve_threads(o.threads));
    gguf::GgufWriter out;
    for (const auto& [key, value] : in.metadata()) {
        if (key == "general.file_type" || key == "general.alignment") continue;
        out.copy_value(std::string(key), value);
    }
    out.set_u32("general.file_type", mixture ? mixture->file_type : file_type_of(target));
    out.set_u32("general.quantization_version", 2);
    int fallbacks = 0;
    uint64_t weight_elements = 0;
    for (const gguf::TensorInfo& t : in.tensors()) {
        if (is_weight_matrix(t)) weight_elements += t.ne[0] * t.ne[1];
    }
    Progress progress(weight_elements);
    for (const gguf::TensorInfo& t : in.tensors()) {
        std::vector<uint64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
        if (!is_weight_matrix(t)) {
            out.add_tensor(std::string(t.name), t.type, ne, std::vector<uint8_t>(t.data, t.data + t.n_bytes));
            continue;
        }
        const int64_t cols = static_cast<int64_t>(t.ne[0]), rows = static_cast<int64_t>(t.ne[1]);
        const DType wanted = mixture ? mixture_type(*mixture, t.name, n_layers) : target;
        const DType dst = storage_type_for(wanted, cols);
        fallbacks += dst != wanted;
        const gguf::TensorInfo* src = &t;
        out.add_tensor(std::string(t.name), dst, ne, [src, cols, rows, dst, &pool, &progress](uint8_t* bytes, size_t) {
            const auto dequantize = kernels::kernels(src->type)->dequantize;
            const size_t src_stride = row_bytes(src->type, cols);
            convert_rows(pool, dst, rows, cols, [&](int64_t r, float* row) { dequantize(src->data + static_cast<size_t>(r) * src_stride, row, cols); }, bytes);
            progress.add(static_cast<uint64_t>(rows * cols));
        });
    }
    auto written = out.write(o.output);
    if (!written) return fail(written.error().message);
    std::cerr << "clawbot: wrote " << o.output << " (" << in.tensors().size() << " tensors, type "
              << (mixture ? std::string(mixture->name) : std::string(dtype_name(target)));
    if (fallbacks) std::cerr << "; " << fallbacks << " tensors with rows too short for it kept in a wider type";
    std::cerr << ")\n";
    return 0;
}

}  // namespace clawbot::cli
