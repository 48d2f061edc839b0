#include "cli/tensor_convert.h"

#include <vector>

#include "engine/tensor/kernels.h"

namespace clawbot::cli {

void convert_rows(ThreadPool& pool, DType target, int64_t rows, int64_t cols, const RowSource& source, uint8_t* dst) {
    const auto quantize = kernels::kernels(target)->quantize;
    const size_t stride = row_bytes(target, cols);
    pool.run([&](int thread, int n_threads) {
        std::vector<float> row(static_cast<size_t>(cols));
        for (int64_t r = rows * thread / n_threads; r < rows * (thread + 1) / n_threads; ++r) {
            source(r, row.data());
            quantize(row.data(), dst + static_cast<size_t>(r) * stride, cols);
        }
    });
}

DType storage_type_for(DType wanted, int64_t cols) {
    const int64_t block = dtype_info(wanted).block_elems;
    if (cols % block == 0) return wanted;
    if (cols % 32 == 0) return DType::Q8_0;
    return DType::F32;
}

bool parse_write_type(const std::string& name, DType& out) {
    auto t = dtype_from_name(name);
    if (!t) return false;
    switch (*t) {
        case DType::F32: case DType::F16: case DType::BF16: case DType::Q8_0:
        case DType::Q4_0: case DType::Q4_K: case DType::Q6_K: case DType::Q4_1: case DType::Q5_0:
        case DType::Q5_1: case DType::IQ4_NL: case DType::Q2_K: case DType::Q3_K: case DType::Q5_K:
        case DType::IQ4_XS:
            out = *t;
            return kernels::kernels(*t) && kernels::kernels(*t)->quantize;
        default:
            return false;
    }
}

uint32_t file_type_of(DType t) {
    switch (t) {
        case DType::F32: return 0;
        case DType::F16: return 1;
        case DType::Q4_0: return 2;
        case DType::Q4_1: return 3;
        case DType::Q8_0: return 7;
        case DType::Q5_0: return 8;
        case DType::Q5_1: return 9;
        case DType::Q2_K: return 10;
        case DType::Q3_K: return 11;  // Q3_K_S
        case DType::Q4_K: return 15;  // Q4_K_M-style mix
        case DType::Q5_K: return 16;  // Q5_K_S
        case DType::Q6_K: return 18;
        case DType::IQ4_NL: return 25;
        case DType::IQ4_XS: return 30;
        case DType::BF16: return 32;
        default: return 0;
    }
}

}  // namespace clawbot::cli
