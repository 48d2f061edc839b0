// The scalar Q5_K and Q6_K kernels add in the reference's float order, bit
// for bit (scalar_reference_order.h), checked here against an independent
// statement of that order. The reference's x86 vec_dot for these types sums integer products
// into 8 int32 lanes (lane n takes the elements e with (e % 32) / 4 == n,
// Q6_K's -32 offset included), adds each super-block as
// lane_acc[n] = fma(d_a * d_w, lane[n], lane_acc[n]), folds the 8 lanes
// (halves, then pairs, then the two) and, for Q5_K, adds a min term kept in
// one float: min_sum = fma(-d_a * dmin_w, integer min total, min_sum).
//
// Why it matters: float-order noise is harmless in a trained model, but the
// random gemma3 fixture turns a one-ulp difference into a 1% logit change
// (its fp16 GELU table), so only this order reproduces the reference's
// logits there (logits_conformance_test runs the scalar kernels for that).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "engine/tensor/block_fields.h"
#include "engine/tensor/block_formats.h"
#include "engine/tensor/fp16.h"
#include "engine/tensor/kernels.h"
#include "unit/engine/tensor/kernels_test_data.h"

namespace clawbot::kernels {
namespace {

// One super-block decoded to what the dot needs: per element the integer
// code (offset applied) and its sub-block scale; per 32 the Q5_K mins.
struct Decoded {
    float d = 0, dmin = 0;
    int code[256] = {}, scale[256] = {}, min[8] = {};
};

Decoded decode_q5_k(const BlockQ5_K& b) {
    Decoded out;
    out.d = fp16_to_fp32(b.d);
    out.dmin = fp16_to_fp32(b.dmin);
    const Q4KScales s = unpack_q4_k_scales(b.scales);
    for (int e = 0; e < 256; ++e) {
        const int sub = e / 32, l = e % 32;
        const uint8_t byte = b.qs[32 * (sub / 2) + l];
        out.code[e] = (sub % 2 ? byte >> 4 : byte & 0x0f) | (((b.qh[l] >> sub) & 1) << 4);
        out.scale[e] = s.scale[sub];
    }
    for (int j = 0; j < 8; ++j) out.min[j] = s.min[j];
    return out;
}

Decoded decode_q6_k(const BlockQ6_K& b) {
    Decoded out;
    out.d = fp16_to_fp32(b.d);
    for (int half = 0; half < 2; ++half) {
        const uint8_t* ql = b.ql + 64 * half;
        const uint8_t* qh = b.qh + 32 * half;
        int* code = out.code + 128 * half;
        for (int l = 0; l < 32; ++l) {
            code[l] = ((ql[l] & 0x0f) | ((qh[l] & 3) << 4)) - 32;
            code[l + 32] = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
            code[l + 64] = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            code[l + 96] = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        }
    }
    for (int e = 0; e < 256; ++e) out.scale[e] = b.scales[e / 16];
    return out;
}

float fold_8(const float (&lane)[8]) {
    float half[4];
    for (int l = 0; l < 4; ++l) half[l] = lane[l + 4] + lane[l];
    return (half[0] + half[2]) + (half[1] + half[3]);
}

float reference_order_dot(DType type, const uint8_t* w, const uint8_t* a, int64_t k) {
    const size_t block_bytes = type == DType::Q5_K ? sizeof(BlockQ5_K) : sizeof(BlockQ6_K);
    float lane_acc[8] = {};
    float min_sum = 0.0f;
    for (int64_t sb = 0; sb < k / 256; ++sb) {
        const auto& y = *reinterpret_cast<const BlockQ8_K*>(a + sb * sizeof(BlockQ8_K));
        const uint8_t* block = w + sb * block_bytes;
        const Decoded x = type == DType::Q5_K ? decode_q5_k(*reinterpret_cast<const BlockQ5_K*>(block))
                                              : decode_q6_k(*reinterpret_cast<const BlockQ6_K*>(block));
        int lane[8] = {};
        for (int e = 0; e < 256; ++e) lane[(e % 32) / 4] += x.scale[e] * x.code[e] * y.qs[e];
        const float d = y.d * x.d;
        for (int n = 0; n < 8; ++n) lane_acc[n] = std::fma(d, static_cast<float>(lane[n]), lane_acc[n]);
        if (type == DType::Q5_K) {
            int total = 0;
            for (int j = 0; j < 8; ++j) total += x.min[j] * (y.bsums[2 * j] + y.bsums[2 * j + 1]);
            min_sum = std::fma(-y.d * x.dmin, static_cast<float>(total), min_sum);
        }
    }
    return fold_8(lane_acc) + min_sum;
}

class ReferenceOrderTest : public ::testing::TestWithParam<DType> {};

TEST_P(ReferenceOrderTest, ScalarKernelIsBitIdenticalToTheReferenceOrder) {
    const DType type = GetParam();
    const GemmFn gemm = kernels_for(type, Isa::Scalar)->gemm;
    constexpr int64_t kRows = 7, kCols = 3;
    for (int64_t k : {256, 512, 1024, 2048}) {
        const size_t ws = row_bytes(type, k), as = row_bytes(DType::Q8_K, k);
        const auto w =
            test::quantize_rows(type, test::random_floats(static_cast<size_t>(k * kRows), 7, 0.05f), k, kRows, ws);
        const auto a =
            test::quantize_rows(DType::Q8_K, test::random_floats(static_cast<size_t>(k * kCols), 8), k, kCols, as);
        std::vector<float> out(static_cast<size_t>(kRows * kCols));
        gemm(k, w.data(), ws, kRows, a.data(), as, kCols, out.data(), kRows);
        for (int64_t c = 0; c < kCols; ++c) {
            for (int64_t r = 0; r < kRows; ++r) {
                const float want = reference_order_dot(type, w.data() + r * ws, a.data() + c * as, k);
                const float got = out[static_cast<size_t>(c * kRows + r)];
                ASSERT_EQ(std::memcmp(&got, &want, sizeof got), 0)
                    << "k=" << k << " row " << r << " col " << c << ": " << got << " vs " << want;
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Types, ReferenceOrderTest, ::testing::Values(DType::Q5_K, DType::Q6_K),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace clawbot::kernels
