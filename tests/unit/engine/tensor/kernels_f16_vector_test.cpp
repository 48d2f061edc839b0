// The F16C versions of the attention accumulator steps agree bit for bit
// with the scalar ones (both use FMA and round-to-nearest-even).
#include "engine/tensor/f16_vector.h"

#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "engine/tensor/fp16.h"

namespace clawbot::kernels {
namespace {

bool cpu_has_f16c() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"); }

std::vector<uint16_t> random_f16(size_t n, std::mt19937& rng) {
    std::normal_distribution<float> d(0.0f, 2.0f);
    std::vector<uint16_t> v(n);
    for (auto& x : v) x = fp32_to_fp16(d(rng));
    return v;
}

TEST(F16Vector, SimdMatchesScalarBitForBit) {
    if (!cpu_has_f16c()) GTEST_SKIP() << "no F16C/FMA on this CPU";
    std::mt19937 rng(5);
    for (int64_t n : {1, 7, 8, 9, 64, 100, 128}) {
        auto acc_a = random_f16(static_cast<size_t>(n), rng), v = random_f16(static_cast<size_t>(n), rng);
        auto acc_b = acc_a;
        scalar::mad_f16(acc_a.data(), v.data(), 0.3721f, n);
        avx2::mad_f16(acc_b.data(), v.data(), 0.3721f, n);
        EXPECT_EQ(acc_a, acc_b) << n;
        scalar::scale_f16(acc_a.data(), 0.61f, n);
        avx2::scale_f16(acc_b.data(), 0.61f, n);
        EXPECT_EQ(acc_a, acc_b) << n;
        std::vector<float> out_a(static_cast<size_t>(n)), out_b(static_cast<size_t>(n)), x(static_cast<size_t>(n));
        scalar::f16_to_f32_scaled(acc_a.data(), 1.7f, out_a.data(), n);
        avx2::f16_to_f32_scaled(acc_b.data(), 1.7f, out_b.data(), n);
        EXPECT_EQ(out_a, out_b) << n;
        std::normal_distribution<float> d(0.0f, 100.0f);
        for (auto& e : x) e = d(rng);
        scalar::round_to_f16(x.data(), out_a.data(), n);
        avx2::round_to_f16(x.data(), out_b.data(), n);
        EXPECT_EQ(out_a, out_b) << n;
    }
}

TEST(F16Vector, MadAccumulatesWithF16Rounding) {
    // 2048 + 1 is not representable in F16 (spacing 2 there): the sum stays 2048.
    std::vector<uint16_t> acc = {fp32_to_fp16(2048.0f)};
    const std::vector<uint16_t> one = {fp32_to_fp16(1.0f)};
    mad_f16(acc.data(), one.data(), 1.0f, 1);
    EXPECT_EQ(fp16_to_fp32(acc[0]), 2048.0f);
    mad_f16(acc.data(), one.data(), 3.0f, 1);
    EXPECT_EQ(fp16_to_fp32(acc[0]), 2052.0f);
}

}  // namespace
}  // namespace clawbot::kernels
