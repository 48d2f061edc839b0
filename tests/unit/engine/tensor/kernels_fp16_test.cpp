// Edge cases of the scalar half / bfloat16 conversions and of the dispatched
// F16 row helpers used by attention.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "engine/tensor/fp16.h"
#include "engine/tensor/kernel_registry.h"
#include "engine/tensor/kernels.h"
#include "unit/engine/tensor/kernels_test_data.h"

namespace clawbot {
namespace {

float from_bits(uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

TEST(Fp16, ExactValuesRoundTrip) {
    EXPECT_EQ(fp32_to_fp16(0.0f), 0x0000);
    EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
    EXPECT_EQ(fp32_to_fp16(1.0f), 0x3C00);
    EXPECT_EQ(fp32_to_fp16(-2.0f), 0xC000);
    EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7BFF);                  // largest finite
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -14)), 0x0400);     // smallest normal
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -24)), 0x0001);     // smallest subnormal
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1023.0f, -24)), 0x03FF);  // largest subnormal
    for (uint32_t h = 0; h < 0x7C00; ++h) {                     // every finite positive half survives a round trip
        ASSERT_EQ(fp32_to_fp16(fp16_to_fp32(static_cast<uint16_t>(h))), h);
        ASSERT_EQ(fp32_to_fp16(fp16_to_fp32(static_cast<uint16_t>(h | 0x8000))), h | 0x8000);
    }
}

TEST(Fp16, RoundsHalfToEven) {
    const float ulp = std::ldexp(1.0f, -10);                     // spacing of halves in [1, 2)
    EXPECT_EQ(fp32_to_fp16(1.0f + ulp / 2), 0x3C00);             // tie, 1.0 is even
    EXPECT_EQ(fp32_to_fp16(1.0f + 3 * ulp / 2), 0x3C02);         // tie, rounds up to even
    EXPECT_EQ(fp32_to_fp16(1.0f + ulp / 2 + ulp / 64), 0x3C01);  // just above the tie
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);      // tie between 0 and the smallest subnormal
    EXPECT_EQ(fp32_to_fp16(std::ldexp(3.0f, -25)), 0x0002);      // tie between 1 and 2 subnormal units
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -26)), 0x0000);      // underflows to zero
    EXPECT_EQ(fp32_to_fp16(65519.0f), 0x7BFF);                   // below the overflow threshold
}

TEST(Fp16, OverflowInfinityAndNan) {
    EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7C00);
    EXPECT_EQ(fp32_to_fp16(1e10f), 0x7C00);
    EXPECT_EQ(fp32_to_fp16(-1e10f), 0xFC00);
    EXPECT_EQ(fp32_to_fp16(std::numeric_limits<float>::infinity()), 0x7C00);
    const uint16_t nan = fp32_to_fp16(std::numeric_limits<float>::quiet_NaN());
    EXPECT_EQ(nan & 0x7C00, 0x7C00);
    EXPECT_NE(nan & 0x03FF, 0);
    EXPECT_TRUE(std::isinf(fp16_to_fp32(0x7C00)));
    EXPECT_TRUE(std::isnan(fp16_to_fp32(0x7E00)));
    EXPECT_EQ(fp16_to_fp32(0x0001), std::ldexp(1.0f, -24));
    EXPECT_TRUE(std::signbit(fp16_to_fp32(0x8000)));
}

TEST(Bf16, RoundsHalfToEvenAndKeepsNan) {
    EXPECT_EQ(fp32_to_bf16(1.0f), 0x3F80);
    EXPECT_EQ(fp32_to_bf16(from_bits(0x3F808000u)), 0x3F80);  // tie, even stays
    EXPECT_EQ(fp32_to_bf16(from_bits(0x3F818000u)), 0x3F82);  // tie, rounds up to even
    EXPECT_EQ(fp32_to_bf16(from_bits(0x3F808001u)), 0x3F81);
    EXPECT_EQ(fp32_to_bf16(from_bits(0x7F7FFFFFu)), 0x7F80);  // max float rounds to infinity
    EXPECT_TRUE(std::isnan(bf16_to_fp32(fp32_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
    EXPECT_EQ(bf16_to_fp32(0xC040), -3.0f);
}

using kernels::F16Helpers;
using kernels::Isa;

std::vector<const F16Helpers*> available_helpers() {
    std::vector<const F16Helpers*> out{&kernels::scalar_f16_helpers()};
    if (kernels::kernels_for(DType::F32, Isa::Avx2) != nullptr) out.push_back(&kernels::avx2_f16_helpers());
    if (kernels::kernels_for(DType::F32, Isa::Avx512) != nullptr) out.push_back(&kernels::avx512_f16_helpers());
    return out;
}

TEST(F16Helpers, RowConversionMatchesScalarBitForBit) {
    std::vector<float> x = kernels::test::random_floats(1000, 7, 100.0f);
    const float specials[] = {0.0f,
                              -0.0f,
                              65504.0f,
                              65520.0f,
                              -1e9f,
                              std::ldexp(1.0f, -25),
                              std::ldexp(3.0f, -25),
                              std::ldexp(1.0f, -20),
                              1.0f + std::ldexp(1.0f, -11),
                              1e-30f};
    x.insert(x.begin(), std::begin(specials), std::end(specials));
    for (const F16Helpers* h : available_helpers()) {
        for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{16}, int64_t{33}, static_cast<int64_t>(x.size())}) {
            std::vector<uint16_t> got(static_cast<size_t>(n) + 1, 0xBEEF);
            h->f32_to_f16_row(x.data(), got.data(), n);
            for (int64_t i = 0; i < n; ++i)
                ASSERT_EQ(got[static_cast<size_t>(i)], fp32_to_fp16(x[static_cast<size_t>(i)])) << i;
            EXPECT_EQ(got[static_cast<size_t>(n)], 0xBEEF) << "wrote past the end";
        }
    }
}

TEST(F16Helpers, DotAndAxpyMatchDoubleReference) {
    for (const F16Helpers* h : available_helpers()) {
        for (int64_t n : {1, 5, 16, 31, 64, 100, 128, 257}) {
            const std::vector<float> x = kernels::test::random_floats(static_cast<size_t>(n), 11);
            const std::vector<float> yf = kernels::test::random_floats(static_cast<size_t>(n), 12);
            std::vector<uint16_t> y(static_cast<size_t>(n));
            for (size_t i = 0; i < y.size(); ++i) y[i] = fp32_to_fp16(yf[i]);
            double dot = 0, mag = 0;
            for (size_t i = 0; i < y.size(); ++i) {
                dot += static_cast<double>(x[i]) * fp16_to_fp32(y[i]);
                mag += std::fabs(static_cast<double>(x[i]) * fp16_to_fp32(y[i]));
            }
            EXPECT_NEAR(h->dot_f32_f16(x.data(), y.data(), n), dot, 1e-6 * mag + 1e-30) << n;

            std::vector<float> acc(static_cast<size_t>(n) + 1, 0.5f);
            h->axpy_f16(-1.5f, y.data(), acc.data(), n);
            for (int64_t i = 0; i < n; ++i) {
                const float want = 0.5f + -1.5f * fp16_to_fp32(y[static_cast<size_t>(i)]);
                ASSERT_NEAR(acc[static_cast<size_t>(i)], want, 1e-6f * (1.0f + std::fabs(want))) << i;
            }
            EXPECT_EQ(acc[static_cast<size_t>(n)], 0.5f) << "wrote past the end";
        }
    }
}

TEST(F16Helpers, PublicEntryPointsWork) {
    const float x[3] = {1.0f, 2.0f, -4.0f};
    uint16_t h[3];
    kernels::f32_to_f16_row(x, h, 3);
    EXPECT_EQ(h[0], 0x3C00);
    EXPECT_EQ(h[2], 0xC400);
    EXPECT_FLOAT_EQ(kernels::dot_f32_f16(x, h, 3), 1 + 4 + 16);
    float y[3] = {1.0f, 1.0f, 1.0f};
    kernels::axpy_f16(2.0f, h, y, 3);
    EXPECT_FLOAT_EQ(y[0], 3.0f);
    EXPECT_FLOAT_EQ(y[1], 5.0f);
    EXPECT_FLOAT_EQ(y[2], -7.0f);
}

}  // namespace
}  // namespace clawbot
