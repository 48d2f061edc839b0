// Packed-weight kernels against the scalar reference: the same weights, once
// packed, must give the scalar gemm's answer for every row range a thread
// may get (group-aligned starts, a ragged last group) and every column count
// (each tile width and the column passes), without writing outside it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/tensor/dtype.h"
#include "engine/tensor/kernels.h"
#include "engine/tensor/packed_kernels.h"
#include "unit/engine/tensor/kernels_test_data.h"

namespace clawbot::kernels {
namespace {

using test::dequantize_row;
using test::exact_dot;
using test::quantize_rows;
using test::random_floats;

constexpr float kUnwritten = -12345.0f;

struct AlignedBytes {
    // Filled with garbage: pack() must write every byte it relies on.
    explicit AlignedBytes(size_t n) : data(static_cast<uint8_t*>(std::aligned_alloc(64, (n + 63) / 64 * 64))) {
        std::memset(data, 0xA5, (n + 63) / 64 * 64);
    }
    ~AlignedBytes() { std::free(data); }
    AlignedBytes(const AlignedBytes&) = delete;
    AlignedBytes& operator=(const AlignedBytes&) = delete;
    uint8_t* data;
};

// One weight matrix with its unpacked (scalar) and packed forms, and
// activations in both the scalar kernel's and the packed kernel's types.
struct PackedProblem {
    DType type;
    int64_t k, rows, n_cols;
    const PackedKernels* packed;
    std::vector<uint8_t> w, a_scalar, a_packed;
    size_t w_stride, a_scalar_stride, a_packed_stride;
    AlignedBytes packed_w;

    PackedProblem(DType t, int64_t k_, int64_t rows_, int64_t cols_, uint32_t seed, const std::vector<float>* weights = nullptr)
        : type(t), k(k_), rows(rows_), n_cols(cols_), packed(packed_kernels(t)),
          w_stride(row_bytes(t, k_)), packed_w(packed ? packed->packed_bytes(rows_, k_) : 64) {
        const DType act = kernels_for(t, Isa::Scalar)->activation;
        w = quantize_rows(t, weights ? *weights : random_floats(static_cast<size_t>(k * rows), seed, 0.05f), k, rows, w_stride);
        a_scalar_stride = row_bytes(act, k);
        const std::vector<float> af = random_floats(static_cast<size_t>(k * n_cols), seed + 1);
        a_scalar = quantize_rows(act, af, k, n_cols, a_scalar_stride);
        if (!packed) return;
        packed->pack(w.data(), w_stride, rows, k, packed_w.data);
        if (packed->activation == PackedActivation::Q8_0Sum) {
            a_packed_stride = static_cast<size_t>(k / 32) * sizeof(BlockQ8_0Sum);
            a_packed.resize(a_packed_stride * static_cast<size_t>(n_cols));
            for (int64_t j = 0; j < n_cols; ++j) {
                q8_0_to_q8_0_sum(a_scalar.data() + j * a_scalar_stride, a_packed.data() + j * a_packed_stride, k);
            }
        } else {
            a_packed_stride = a_scalar_stride;
            a_packed = a_scalar;
        }
    }

    std::vector<float> scalar(int64_t cols) const {
        std::vector<float> out(static_cast<size_t>(rows * n_cols), kUnwritten);
        kernels_for(type, Isa::Scalar)->gemm(k, w.data(), w_stride, rows, a_scalar.data(), a_scalar_stride, cols,
                                             out.data(), static_cast<size_t>(rows));
        return out;
    }
    std::vector<float> run_packed(int64_t begin, int64_t end, int64_t cols) const {
        std::vector<float> out(static_cast<size_t>(rows * n_cols), kUnwritten);
        packed->gemm(packed_w.data, rows, k, begin, end, a_packed.data(), a_packed_stride, cols, out.data(),
                     static_cast<size_t>(rows));
        return out;
    }
    double magnitude(int64_t i, int64_t j) const {
        const DType act = kernels_for(type, Isa::Scalar)->activation;
        return exact_dot(dequantize_row(type, w.data() + i * w_stride, k),
                         dequantize_row(act, a_scalar.data() + j * a_scalar_stride, k))
            .magnitude;
    }
};

class PackedGemmTest : public ::testing::TestWithParam<DType> {};

TEST_P(PackedGemmTest, MatchesScalarOnEveryRowRangeAndColumnCount) {
    const DType type = GetParam();
    if (!packed_kernels(type)) GTEST_SKIP() << "no packed kernels for " << dtype_name(type) << " on this CPU";
    const int64_t block = dtype_info(type).block_elems;
    for (int64_t k : {block, 2 * block, 3 * block, 8 * block}) {
        for (int64_t rows : {int64_t{5}, int64_t{16}, int64_t{37}}) {
            const PackedProblem p(type, k, rows, 19, 300 + static_cast<uint32_t>(k + rows));
            const std::vector<float> ref = p.scalar(p.n_cols);
            for (int64_t begin = 0; begin < rows; begin += kPackRows) {
                for (int64_t end : {std::min(begin + kPackRows, rows), rows}) {
                    for (int64_t cols : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{8}, int64_t{9}, p.n_cols}) {
                        const std::vector<float> got = p.run_packed(begin, end, cols);
                        for (int64_t j = 0; j < p.n_cols; ++j) {
                            for (int64_t i = 0; i < rows; ++i) {
                                const size_t at = static_cast<size_t>(j * rows + i);
                                const std::string where = std::string(dtype_name(type)) + " k=" + std::to_string(k) +
                                                          " rows=" + std::to_string(rows) + " range [" +
                                                          std::to_string(begin) + "," + std::to_string(end) +
                                                          ") cols=" + std::to_string(cols) + " at " +
                                                          std::to_string(i) + "," + std::to_string(j);
                                if (i < begin || i >= end || j >= cols) {
                                    ASSERT_EQ(got[at], kUnwritten) << "wrote outside its range: " << where;
                                } else {
                                    ASSERT_NEAR(got[at], ref[at], 1e-5 * p.magnitude(i, j) + 1e-30) << where;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

TEST_P(PackedGemmTest, ExtremeCodesAndLongRows) {
    // Weights at both ends of the code range and a long row (ffn_down of a
    // 1B model) check the unsigned offsets and the int32 sums.
    const DType type = GetParam();
    if (!packed_kernels(type)) GTEST_SKIP() << "no packed kernels for " << dtype_name(type) << " on this CPU";
    const int64_t k = 5632, rows = 33;
    std::vector<float> wf(static_cast<size_t>(k * rows));
    for (size_t i = 0; i < wf.size(); ++i) wf[i] = (i % 5 == 0 ? -1.0f : 1.0f) * (i % 3 == 0 ? 1.0f : 0.001f);
    const PackedProblem p(type, k, rows, 20, 77, &wf);
    const std::vector<float> ref = p.scalar(p.n_cols);
    const std::vector<float> got = p.run_packed(0, rows, p.n_cols);
    for (int64_t j = 0; j < p.n_cols; ++j) {
        for (int64_t i = 0; i < rows; ++i) {
            const size_t at = static_cast<size_t>(j * rows + i);
            ASSERT_NEAR(got[at], ref[at], 1e-5 * p.magnitude(i, j) + 1e-30) << i << "," << j;
        }
    }
}

TEST(PackedKernels, OfferedForTheCommonTypesOnAvx512) {
    if (detected_isa() != Isa::Avx512) GTEST_SKIP() << "this CPU has no AVX-512 VNNI";
    for (DType t : {DType::Q4_0, DType::Q8_0, DType::Q4_K, DType::Q6_K, DType::Q4_1, DType::Q5_0, DType::Q5_1,
                    DType::IQ4_NL, DType::Q5_K, DType::IQ4_XS, DType::Q3_K, DType::Q2_K}) {
        const PackedKernels* k = packed_kernels(t);
        ASSERT_NE(k, nullptr) << dtype_name(t);
        EXPECT_EQ(k->weight, t);
        // One pass of packing keeps the size: codes and scales, padded to
        // whole groups of rows and cache lines.
        // Q4_K unpacks its 6-bit scales to bytes: 64 bytes more per 16 rows
        // of 256 elements.
        // IQ4_XS unpacks them too and repeats them as mins (and d as dmin): 192.
        // Q3_K: 288 bytes of scales and d per 16 rows, 224 in the file; Q2_K:
        // 576 against 320 (scales and mins unpacked to bytes).
        size_t per_super_block = 0;
        if (t == DType::Q4_K || t == DType::Q5_K) per_super_block = 64;
        if (t == DType::IQ4_XS) per_super_block = 192;
        if (t == DType::Q3_K) per_super_block = 64;
        if (t == DType::Q2_K) per_super_block = 256;
        const size_t extra = 2 * per_super_block * 2048 / 256;
        EXPECT_EQ(k->packed_bytes(32, 2048), row_bytes(t, 2048) * 32 + extra);
    }
    EXPECT_EQ(packed_kernels(DType::F32), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Types, PackedGemmTest,
                         ::testing::Values(DType::Q4_0, DType::Q8_0, DType::Q4_K, DType::Q6_K, DType::Q4_1, DType::Q5_0,
                                           DType::Q5_1, DType::IQ4_NL, DType::Q5_K, DType::IQ4_XS,
                                           DType::Q3_K, DType::Q2_K),
                         [](const ::testing::TestParamInfo<DType>& info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace clawbot::kernels
