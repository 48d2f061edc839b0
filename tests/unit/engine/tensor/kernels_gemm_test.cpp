// gemm for every weight type: the scalar reference against exact dots of
// the dequantized operands, and every SIMD version against the scalar one
// over shapes that exercise the tiling edges (rows and columns that are not
// multiples of the tile, odd block counts, padded and misaligned strides).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/tensor/dtype.h"
#include "engine/tensor/kernels.h"
#include "unit/engine/tensor/kernels_test_data.h"

namespace clawbot::kernels {
namespace {

using test::dequantize_row;
using test::exact_dot;
using test::quantize_rows;
using test::random_floats;

constexpr int64_t kMaxRows = 37;
constexpr int64_t kMaxCols = 17;

// Weights and activations for one (type, k), with padded strides so that
// rows start at addresses that are only as aligned as their element types
// require (4 bytes), not at vector-aligned ones.
struct Problem {
    DType weight;
    DType activation;
    int64_t k;
    size_t w_stride, a_stride, out_stride;
    std::vector<uint8_t> w, a;

    Problem(DType type, int64_t k_, uint32_t seed) : weight(type), k(k_) {
        activation = kernels_for(type, Isa::Scalar)->activation;
        w_stride = row_bytes(weight, k) + 4;
        a_stride = row_bytes(activation, k) + 4;
        out_stride = kMaxRows + 5;
        w = quantize_rows(weight, random_floats(static_cast<size_t>(k * kMaxRows), seed, 0.05f), k, kMaxRows, w_stride);
        a = quantize_rows(activation, random_floats(static_cast<size_t>(k * kMaxCols), seed + 1), k, kMaxCols,
                          a_stride);
    }
    const uint8_t* w_row(int64_t i) const { return w.data() + static_cast<size_t>(i) * w_stride; }
    const uint8_t* a_row(int64_t j) const { return a.data() + static_cast<size_t>(j) * a_stride; }

    // Output with a sentinel everywhere gemm must not write.
    std::vector<float> run(GemmFn gemm, int64_t n_rows, int64_t n_cols) const {
        std::vector<float> out(out_stride * kMaxCols, -12345.0f);
        gemm(k, w.data(), w_stride, n_rows, a.data(), a_stride, n_cols, out.data(), out_stride);
        return out;
    }
};

std::vector<int64_t> ks_for(DType type) {
    const int64_t block = dtype_info(type).block_elems;
    if (block == 1) return {1, 15, 64, 100, 259, 1024};
    if (block == 32) return {32, 64, 96, 160, 480, 2048};
    return {256, 512, 768, 2048};
}

const DType kWeightTypes[] = {DType::F32,  DType::F16,  DType::BF16,   DType::Q8_0, DType::Q4_0,
                              DType::Q4_K, DType::Q6_K, DType::Q4_1,   DType::Q5_0, DType::Q5_1,
                              DType::IQ4_NL, DType::Q2_K, DType::Q3_K, DType::Q5_K, DType::IQ4_XS};

// Byte offsets of the fp16 scale fields in one block of a quantized type.
std::vector<size_t> fp16_fields(DType type) {
    switch (type) {
        case DType::Q6_K: return {208};
        case DType::Q3_K: return {108};
        case DType::Q2_K: return {80, 82};
        case DType::Q4_K: case DType::Q5_K: case DType::Q4_1: case DType::Q5_1: return {0, 2};
        default: return {0};
    }
}

class GemmTest : public ::testing::TestWithParam<DType> {};

TEST_P(GemmTest, ScalarMatchesExactDotOfDequantizedOperands) {
    const DType type = GetParam();
    for (int64_t k : ks_for(type)) {
        const Problem p(type, k, 100 + static_cast<uint32_t>(k));
        const std::vector<float> out = p.run(kernels_for(type, Isa::Scalar)->gemm, kMaxRows, kMaxCols);
        for (int64_t j = 0; j < kMaxCols; ++j) {
            const std::vector<float> a = dequantize_row(p.activation, p.a_row(j), k);
            for (int64_t i = 0; i < kMaxRows; ++i) {
                const test::ExactDot want = exact_dot(dequantize_row(type, p.w_row(i), k), a);
                ASSERT_NEAR(out[static_cast<size_t>(j) * p.out_stride + static_cast<size_t>(i)], want.value,
                            2e-6 * std::sqrt(static_cast<double>(k)) * want.magnitude + 1e-30)
                    << "k=" << k << " row " << i << " col " << j;
            }
        }
    }
}

TEST_P(GemmTest, QuantizedActivationsStayCloseToFloatProduct) {
    // End to end: the kernel's answer against the float dot of the original
    // (unquantized) activations with the dequantized weights.
    const DType type = GetParam();
    const int64_t k = 1024;
    const std::vector<float> wf = random_floats(static_cast<size_t>(k * 8), 5, 0.05f);
    const std::vector<float> af = random_floats(static_cast<size_t>(k * 3), 6);
    const DType act = kernels(type)->activation;
    const size_t ws = row_bytes(type, k), as = row_bytes(act, k);
    const std::vector<uint8_t> w = quantize_rows(type, wf, k, 8, ws);
    std::vector<uint8_t> a(as * 3);
    for (int j = 0; j < 3; ++j) activation_quantizer(act)(af.data() + j * k, a.data() + j * as, k);
    std::vector<float> out(8 * 3);
    kernels(type)->gemm(k, w.data(), ws, 8, a.data(), as, 3, out.data(), 8);
    for (int j = 0; j < 3; ++j) {
        const std::vector<float> aj(af.begin() + j * k, af.begin() + (j + 1) * k);
        for (int i = 0; i < 8; ++i) {
            const test::ExactDot want = exact_dot(dequantize_row(type, w.data() + static_cast<size_t>(i) * ws, k), aj);
            // 8-bit activations: about 1% of the magnitude at most.
            EXPECT_NEAR(out[static_cast<size_t>(j * 8 + i)], want.value, 0.01 * want.magnitude) << i << "," << j;
        }
    }
}

TEST_P(GemmTest, SimdMatchesScalarOnAllShapes) {
    const DType type = GetParam();
    int tested_isas = 0;
    for (Isa isa : {Isa::Avx2, Isa::Avx512}) {
        const TypeKernels* simd = kernels_for(type, isa);
        if (simd == nullptr) continue;
        ++tested_isas;
        EXPECT_EQ(simd->activation, kernels_for(type, Isa::Scalar)->activation);
        for (int64_t k : ks_for(type)) {
            const Problem p(type, k, 200 + static_cast<uint32_t>(k));
            const std::vector<float> ref = p.run(kernels_for(type, Isa::Scalar)->gemm, kMaxRows, kMaxCols);
            std::vector<double> magnitude(static_cast<size_t>(kMaxRows * kMaxCols));
            for (int64_t j = 0; j < kMaxCols; ++j) {
                const std::vector<float> a = dequantize_row(p.activation, p.a_row(j), k);
                for (int64_t i = 0; i < kMaxRows; ++i) {
                    magnitude[static_cast<size_t>(j * kMaxRows + i)] =
                        exact_dot(dequantize_row(type, p.w_row(i), k), a).magnitude;
                }
            }
            for (int64_t n_rows : {1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 37}) {
                for (int64_t n_cols = 1; n_cols <= kMaxCols; ++n_cols) {
                    const std::vector<float> got = p.run(simd->gemm, n_rows, n_cols);
                    for (int64_t j = 0; j < kMaxCols; ++j) {
                        for (int64_t i = 0; i < static_cast<int64_t>(p.out_stride); ++i) {
                            const size_t at = static_cast<size_t>(j) * p.out_stride + static_cast<size_t>(i);
                            if (j >= n_cols || i >= n_rows) {
                                ASSERT_EQ(got[at], -12345.0f) << "wrote outside the output at " << i << "," << j;
                                continue;
                            }
                            ASSERT_NEAR(got[at], ref[at],
                                        1e-5 * magnitude[static_cast<size_t>(j * kMaxRows + i)] + 1e-30)
                                << isa_name(isa) << " k=" << k << " n_rows=" << n_rows << " n_cols=" << n_cols
                                << " at row " << i << " col " << j;
                        }
                    }
                }
            }
        }
    }
    // The types of the first engine have unpacked AVX2 and AVX-512 kernels;
    // the newer ones (issue 12) unpacked AVX2 ones (AVX-512 runs them packed,
    // kernels_packed_test.cpp).
    const bool both = type == DType::F32 || type == DType::F16 || type == DType::BF16 || type == DType::Q8_0 ||
                      type == DType::Q4_0 || type == DType::Q4_K || type == DType::Q6_K;
    if (detected_isa() == Isa::Avx512) {
        EXPECT_EQ(tested_isas, both ? 2 : 1) << "SIMD versions run on this CPU";
    }
}

TEST_P(GemmTest, WeightsWithExtremeCodes) {
    // Codes at the ends of each range (Q8_0 -128, Q4 nibble 0 and 15, Q6 0
    // and 63) and activations at +-127 stress the unsigned/signed tricks.
    const DType type = GetParam();
    const int64_t k = ks_for(type).back();
    const size_t ws = row_bytes(type, k);
    std::vector<uint8_t> w(ws * 4);
    for (size_t i = 0; i < w.size(); ++i) w[i] = (i % 3 == 0) ? 0x00 : (i % 3 == 1 ? 0xFF : 0x80);
    // Keep fp16 / bf16 / f32 scale fields finite: rewrite weights of float
    // types from floats, and the fp16 scales of quantized blocks as 1/64.
    const DType act = kernels_for(type, Isa::Scalar)->activation;
    if (dtype_info(type).block_elems == 1) {
        const std::vector<float> big = random_floats(static_cast<size_t>(k * 4), 9, 100.0f);
        w = quantize_rows(type, big, k, 4, ws);
    } else {
        const size_t bb = dtype_info(type).block_bytes;
        for (size_t b = 0; b < w.size() / bb; ++b) {
            uint8_t* blk = w.data() + b * bb;
            const uint16_t sixty_fourth = 0x2400;
            for (size_t offset : fp16_fields(type)) std::memcpy(blk + offset, &sixty_fourth, 2);
        }
    }
    std::vector<float> af(static_cast<size_t>(k * 5));
    for (size_t i = 0; i < af.size(); ++i) af[i] = (i % 2 == 0 ? 1.0f : -1.0f) * static_cast<float>(1 + i % 7);
    const size_t as = row_bytes(act, k);
    const std::vector<uint8_t> a = quantize_rows(act, af, k, 5, as);
    std::vector<float> ref(4 * 5), got(4 * 5);
    kernels_for(type, Isa::Scalar)->gemm(k, w.data(), ws, 4, a.data(), as, 5, ref.data(), 4);
    std::vector<double> magnitude(ref.size());
    for (int64_t j = 0; j < 5; ++j) {
        for (int64_t i = 0; i < 4; ++i) {
            magnitude[static_cast<size_t>(j * 4 + i)] =
                exact_dot(dequantize_row(type, w.data() + static_cast<size_t>(i) * ws, k),
                          dequantize_row(act, a.data() + static_cast<size_t>(j) * as, k))
                    .magnitude;
        }
    }
    for (Isa isa : {Isa::Avx2, Isa::Avx512}) {
        const TypeKernels* simd = kernels_for(type, isa);
        if (simd == nullptr) continue;
        simd->gemm(k, w.data(), ws, 4, a.data(), as, 5, got.data(), 4);
        for (size_t i = 0; i < ref.size(); ++i) {
            ASSERT_NEAR(got[i], ref[i], 1e-5 * magnitude[i]) << isa_name(isa) << " at " << i;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, GemmTest, ::testing::ValuesIn(kWeightTypes),
                         [](const ::testing::TestParamInfo<DType>& info) {
                             return std::string(dtype_name(info.param));
                         });

class ActivationQuantizerTest : public ::testing::TestWithParam<DType> {};

TEST_P(ActivationQuantizerTest, SimdMatchesScalarBitForBit) {
    const DType type = GetParam();
    const int64_t block = dtype_info(type).block_elems;
    QuantizeFn scalar = activation_quantizer(type, Isa::Scalar);
    for (Isa isa : {Isa::Avx2, Isa::Avx512}) {
        QuantizeFn simd = activation_quantizer(type, isa);
        if (simd == nullptr) continue;
        for (int64_t blocks : {1, 2, 3, 9, 16}) {
            const int64_t n = blocks * block;
            for (uint32_t seed = 0; seed < 20; ++seed) {
                std::vector<float> x = random_floats(static_cast<size_t>(n), seed, seed % 2 ? 1e-3f : 50.0f);
                if (seed % 5 == 3) {  // repeated magnitudes and exact ties
                    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>(i % 9) - 4) * 0.5f;
                }
                if (seed % 5 == 4) x.assign(x.size(), 0.0f);
                const size_t bytes = row_bytes(type, n);
                std::vector<uint8_t> want(bytes + 8, 0x77), got(bytes + 8, 0x77);
                scalar(x.data(), want.data(), n);
                simd(x.data(), got.data(), n);
                ASSERT_EQ(want, got) << isa_name(isa) << " n=" << n << " seed=" << seed;
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(ActivationTypes, ActivationQuantizerTest, ::testing::Values(DType::Q8_0, DType::Q8_K),
                         [](const ::testing::TestParamInfo<DType>& info) {
                             return std::string(dtype_name(info.param));
                         });

}  // namespace
}  // namespace clawbot::kernels
