// swiglu and softcap on this CPU's best path against the libm definition,
// over the whole range an input can take (large magnitudes saturate, not
// overflow).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/tensor/activation.h"

namespace clawbot::kernels {
namespace {

TEST(Swiglu, MatchesTheLibmDefinition) {
    std::mt19937 rng(3);
    std::normal_distribution<float> nd(0.0f, 4.0f);
    std::vector<float> gate(1000 + 7), up(gate.size());
    for (size_t i = 0; i < gate.size(); ++i) {
        gate[i] = nd(rng);
        up[i] = nd(rng);
    }
    // Extremes: e^-g overflows for g < -88.7, vanishes for large g.
    const float extremes[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 20.0f, -20.0f, 88.0f, -88.0f, 100.0f, -100.0f, 1e30f, -1e30f};
    for (size_t i = 0; i < std::size(extremes); ++i) gate[i] = extremes[i];
    std::vector<float> want = gate, got = gate;
    scalar::swiglu(want.data(), up.data(), static_cast<int64_t>(want.size()));
    swiglu(got.data(), up.data(), static_cast<int64_t>(got.size()));  // odd length: a masked tail
    for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_TRUE(std::isfinite(got[i])) << "gate " << gate[i];
        ASSERT_NEAR(got[i], want[i], 1e-6 * std::fabs(want[i]) + 1e-30) << "gate " << gate[i] << " up " << up[i];
    }
}

TEST(Swiglu, KnownValues) {
    float gate[3] = {0.0f, 1.0f, -1.0f};
    const float up[3] = {5.0f, 2.0f, 2.0f};
    swiglu(gate, up, 3);
    EXPECT_EQ(gate[0], 0.0f);
    EXPECT_NEAR(gate[1], 2.0f / (1.0f + std::exp(-1.0f)), 1e-6f);
    EXPECT_NEAR(gate[2], -2.0f / (1.0f + std::exp(1.0f)), 1e-6f);
}

TEST(Softcap, MatchesTanhfWithinAFewUlpOfTheCap) {
    for (float cap : {30.0f, 4.0f}) {
        std::mt19937 rng(5);
        std::normal_distribution<float> nd(0.0f, 2.0f * cap);
        std::vector<float> x(1000 + 5);
        for (float& v : x) v = nd(rng);
        const float extremes[] = {0.0f, -0.0f, 1e-30f, -1e-30f, cap, -cap, 100 * cap, -100 * cap, 1e30f, -1e30f};
        for (size_t i = 0; i < std::size(extremes); ++i) x[i] = extremes[i];
        std::vector<float> want = x, got = x;
        scalar::softcap(want.data(), static_cast<int64_t>(want.size()), cap);
        softcap(got.data(), static_cast<int64_t>(got.size()), cap);  // odd length: a masked tail
        for (size_t i = 0; i < got.size(); ++i) {
            ASSERT_LE(std::fabs(got[i]), cap) << x[i];
            ASSERT_NEAR(got[i], want[i], 4e-7f * cap) << "x " << x[i] << ", cap " << cap;
        }
        EXPECT_NEAR(want[4], cap * std::tanh(1.0f), 1e-6f * cap);
        EXPECT_EQ(want[8], cap);
        EXPECT_EQ(got[8], cap);
        EXPECT_EQ(got[9], -cap);
    }
}

TEST(Geglu, TanhGeluThroughFp16AndExactBeyondTen) {
    // gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) x (1 + 0.044715 x^2))), read
    // through fp16 as the reference's table does: within half an fp16 ulp
    // of the float formula, and exactly 0 / x beyond +-10.
    float gate[6] = {0.0f, 1.0f, -1.0f, 2.5f, 10.0f, -10.5f};
    const float up[6] = {3.0f, 2.0f, 2.0f, 1.0f, 0.5f, 4.0f};
    geglu(gate, up, 6);
    auto gelu = [](double x) { return 0.5 * x * (1 + std::tanh(0.7978845608028654 * x * (1 + 0.044715 * x * x))); };
    EXPECT_EQ(gate[0], 0.0f);
    for (int i : {1, 2, 3}) {
        const double x = i == 1 ? 1.0 : (i == 2 ? -1.0 : 2.5);
        const double want = gelu(x) * up[i];
        EXPECT_NEAR(gate[i], want, std::fabs(want) * 0x1p-11 + 1e-7) << x;
    }
    EXPECT_EQ(gate[4], 5.0f);
    EXPECT_EQ(gate[5], 0.0f);
    // Inputs that round to the same fp16 give the same activation.
    float a[1] = {1.0f}, b[1] = {1.0f + 0x1p-13f};
    const float one[1] = {1.0f};
    geglu(a, one, 1);
    geglu(b, one, 1);
    EXPECT_EQ(a[0], b[0]);
}

}  // namespace
}  // namespace clawbot::kernels
