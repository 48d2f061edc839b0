// dequantize(quantize(x)) stays within each format's error bound.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/tensor/dtype.h"
#include "engine/tensor/kernels.h"
#include "unit/engine/tensor/kernels_test_data.h"

namespace clawbot::kernels {
namespace {

std::vector<float> round_trip(DType type, const std::vector<float>& x) {
    const int64_t n = static_cast<int64_t>(x.size());
    const TypeKernels* k = kernels_for(type, Isa::Scalar);
    std::vector<uint8_t> q(row_bytes(type, n));
    k->quantize(x.data(), q.data(), n);
    std::vector<float> y(x.size());
    k->dequantize(q.data(), y.data(), n);
    // The best-ISA table must quantize and dequantize identically.
    std::vector<uint8_t> q2(q.size());
    kernels(type)->quantize(x.data(), q2.data(), n);
    EXPECT_EQ(q, q2);
    return y;
}

double rms_error(const std::vector<float>& x, const std::vector<float>& y) {
    double err = 0, ref = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        err += (static_cast<double>(x[i]) - y[i]) * (static_cast<double>(x[i]) - y[i]);
        ref += static_cast<double>(x[i]) * x[i];
    }
    return std::sqrt(err / ref);
}

float block_absmax(const std::vector<float>& x, size_t i, size_t block) {
    float m = 0;
    for (size_t j = i / block * block; j < (i / block + 1) * block; ++j) m = std::max(m, std::fabs(x[j]));
    return m;
}

const std::vector<float> kData = test::random_floats(8192, 42, 0.02f);

TEST(RoundTrip, F16WithinHalfAnUlp) {
    const std::vector<float> y = round_trip(DType::F16, kData);
    for (size_t i = 0; i < kData.size(); ++i)
        ASSERT_LE(std::fabs(y[i] - kData[i]), std::fabs(kData[i]) * 0x1p-11f + 0x1p-25f);
}

TEST(RoundTrip, Bf16WithinHalfAnUlp) {
    const std::vector<float> y = round_trip(DType::BF16, kData);
    for (size_t i = 0; i < kData.size(); ++i) ASSERT_LE(std::fabs(y[i] - kData[i]), std::fabs(kData[i]) * 0x1p-8f);
}

TEST(RoundTrip, Q8_0WithinHalfAStep) {
    const std::vector<float> y = round_trip(DType::Q8_0, kData);
    for (size_t i = 0; i < kData.size(); ++i) {
        // Half a step, plus the fp16 rounding of the step times the code.
        const float amax = block_absmax(kData, i, 32);
        ASSERT_LE(std::fabs(y[i] - kData[i]), amax * (1.0f / 254 + 1.0f / 2048)) << i;
    }
    EXPECT_LT(rms_error(kData, y), 0.01);
}

TEST(RoundTrip, Q4_0WithinOneStep) {
    const std::vector<float> y = round_trip(DType::Q4_0, kData);
    for (size_t i = 0; i < kData.size(); ++i) {
        // The step is amax / 8; only the clamped code +8 -> +7 costs a whole step.
        const float amax = block_absmax(kData, i, 32);
        ASSERT_LE(std::fabs(y[i] - kData[i]), amax / 8 * 1.01f) << i;
    }
    EXPECT_LT(rms_error(kData, y), 0.15);
}

TEST(RoundTrip, Q4_KBeatsQ4_0) {
    const std::vector<float> y = round_trip(DType::Q4_K, kData);
    const double err = rms_error(kData, y);
    EXPECT_LT(err, 0.1);
    EXPECT_LT(err, rms_error(kData, round_trip(DType::Q4_0, kData)));
    for (size_t i = 0; i < kData.size(); ++i) {
        const float amax = block_absmax(kData, i, 32);
        ASSERT_LE(std::fabs(y[i] - kData[i]), amax / 7) << i;
    }
}

TEST(RoundTrip, Q6_KIsThreeTimesFinerThanQ4_K) {
    const std::vector<float> y = round_trip(DType::Q6_K, kData);
    const double err = rms_error(kData, y);
    EXPECT_LT(err, 0.03);
    EXPECT_LT(err * 3, rms_error(kData, round_trip(DType::Q4_K, kData)));
    for (size_t i = 0; i < kData.size(); ++i) {
        const float amax = block_absmax(kData, i, 16);
        ASSERT_LE(std::fabs(y[i] - kData[i]), amax / 24) << i;
    }
}

// The newer types (issue 12): each finer type beats the coarser one, and
// the errors sit where the formats' code counts put them.
TEST(RoundTrip, NewerTypesOrderByBitsPerWeight) {
    auto err = [](DType t) { return rms_error(kData, round_trip(t, kData)); };
    const double q2 = err(DType::Q2_K), q3 = err(DType::Q3_K), q4 = err(DType::Q4_K), q5 = err(DType::Q5_K);
    const double q6 = err(DType::Q6_K);
    EXPECT_LT(q2, 0.45);
    EXPECT_LT(q3, q2);
    EXPECT_LT(q4, q3);
    EXPECT_LT(q5 * 1.6, q4);  // one more bit: about half the step
    EXPECT_LT(q6, q5);
    EXPECT_LT(err(DType::IQ4_XS), q3);
    EXPECT_LT(err(DType::IQ4_NL), err(DType::Q4_0) * 1.05);
    EXPECT_LT(err(DType::Q4_1), err(DType::Q4_0) * 1.05);
    EXPECT_LT(err(DType::Q5_0) * 1.6, err(DType::Q4_0));
    EXPECT_LT(err(DType::Q5_1) * 1.6, err(DType::Q4_1));
}

TEST(RoundTrip, Q5_0WithinOneStep) {
    const std::vector<float> y = round_trip(DType::Q5_0, kData);
    for (size_t i = 0; i < kData.size(); ++i) {
        const float amax = block_absmax(kData, i, 32);
        ASSERT_LE(std::fabs(y[i] - kData[i]), amax / 16 * 1.01f) << i;
    }
}

TEST(RoundTrip, DegenerateBlocks) {
    // zeros, a constant, all negative, all positive, one spike, small values
    std::vector<float> x(256 * 6, 0.0f);
    for (size_t i = 256; i < 512; ++i) x[i] = 0.75f;
    for (size_t i = 512; i < 768; ++i) x[i] = -0.5f - static_cast<float>(i % 5) * 0.1f;
    for (size_t i = 768; i < 1024; ++i) x[i] = 0.5f + static_cast<float>(i % 5) * 0.1f;
    x[1024 + 77] = 3.0f;
    for (size_t i = 1280; i < 1536; ++i) x[i] = static_cast<float>(static_cast<int>(i % 7) - 3) * 1e-3f;
    for (DType type : {DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q6_K, DType::Q4_1, DType::Q5_0, DType::Q5_1,
                       DType::IQ4_NL, DType::Q3_K, DType::Q5_K, DType::IQ4_XS}) {
        const std::vector<float> y = round_trip(type, x);
        for (size_t i = 0; i < 256; ++i) ASSERT_EQ(y[i], 0.0f) << dtype_name(type);
        for (size_t i = 0; i < x.size(); ++i) {
            ASSERT_TRUE(std::isfinite(y[i])) << dtype_name(type) << " " << i;
            const float amax = block_absmax(x, i, 256);
            ASSERT_LE(std::fabs(y[i] - x[i]), amax / 7 + 1e-7f) << dtype_name(type) << " " << i;
        }
        EXPECT_NEAR(y[1024 + 77], 3.0f, 3.0f / 100) << dtype_name(type);  // the spike survives
        EXPECT_NEAR(y[300], 0.75f, 0.75f / 100) << dtype_name(type);      // so does the constant
    }
}

TEST(RoundTrip, ValuesBelowTheFp16ScaleRangeDoNotBlowUp) {
    // Block scales are fp16: far below 1e-4 they lose precision or flush to
    // zero (as in ggml), but nothing may become larger or non-finite.
    std::vector<float> x(512);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>(i % 7) - 3) * 1e-6f;
    for (DType type : {DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q6_K, DType::Q4_1, DType::Q5_0, DType::Q5_1,
                       DType::IQ4_NL, DType::Q2_K, DType::Q3_K, DType::Q5_K, DType::IQ4_XS}) {
        const std::vector<float> y = round_trip(type, x);
        // An fp16 offset (Q4_1, Q5_1) adds its own subnormal rounding, one
        // step of 6e-8.
        const bool fp16_offset = type == DType::Q4_1 || type == DType::Q5_1;
        for (size_t i = 0; i < x.size(); ++i) {
            ASSERT_TRUE(std::isfinite(y[i])) << dtype_name(type);
            ASSERT_LE(std::fabs(y[i]), fp16_offset ? 3.17e-6f : 3.1e-6f) << dtype_name(type) << " " << i;
        }
    }
}

}  // namespace
}  // namespace clawbot::kernels
