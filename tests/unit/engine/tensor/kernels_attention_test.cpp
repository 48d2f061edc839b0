// attend_positions (the SIMD path on this CPU) against the per-position
// helpers it replaces: bit-identical accumulators, maxima and sums for every
// head size and group size, so logits cannot move.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/tensor/attention.h"
#include "engine/tensor/f16_vector.h"
#include "engine/tensor/fp16.h"

namespace clawbot::kernels {
namespace {

struct Heads {
    std::vector<float> q;
    std::vector<uint16_t> acc;
    std::vector<HeadState> state;

    Heads(int g, int d, std::mt19937& rng) : q(static_cast<size_t>(g * d)), acc(static_cast<size_t>(g * d), 0) {
        std::normal_distribution<float> nd(0.0f, 1.0f);
        for (float& x : q) x = nd(rng);
        round_to_f16(q.data(), q.data(), static_cast<int64_t>(q.size()));
        for (int h = 0; h < g; ++h) state.push_back({q.data() + h * d, acc.data() + h * d, -INFINITY, 0.0f});
    }
};

TEST(AttendPositions, BitIdenticalToThePerPositionHelpers) {
    std::mt19937 rng(11);
    std::normal_distribution<float> nd(0.0f, 2.0f);
    for (int d : {40, 64, 80, 96, 128, 256}) {  // 40: no specialisation, the helpers themselves
        for (int g : {1, 3, 8}) {
            for (int n : {1, 5, 16, 33, 70}) {
                for (float softcap : {0.0f, 2.5f}) {  // 2.5: most of these scores are capped
                    const size_t stride = static_cast<size_t>(d) * 3 + 16;  // other KV heads between positions
                    std::vector<uint16_t> k(stride * static_cast<size_t>(n)), v(k.size());
                    for (uint16_t& x : k) x = fp32_to_fp16(nd(rng));
                    for (uint16_t& x : v) x = fp32_to_fp16(nd(rng));
                    std::mt19937 q_rng(static_cast<uint32_t>(d * 100 + g * 10 + n));
                    Heads want(g, d, q_rng);
                    q_rng.seed(static_cast<uint32_t>(d * 100 + g * 10 + n));
                    Heads got(g, d, q_rng);
                    // As the caller does: a soft cap divides the scale.
                    const float scale = 1.0f / std::sqrt(static_cast<float>(d)) / (softcap > 0 ? softcap : 1.0f);
                    attend_positions_reference(want.state.data(), g, k.data(), v.data(), stride, n, d, scale, softcap);
                    // In two calls (as a KV block boundary splits it): same result.
                    const int split = n / 2;
                    attend_positions(got.state.data(), g, k.data(), v.data(), stride, split, d, scale, softcap);
                    attend_positions(got.state.data(), g, k.data() + stride * split, v.data() + stride * split, stride,
                                     n - split, d, scale, softcap);
                    for (int h = 0; h < g; ++h) {
                        EXPECT_EQ(got.state[h].max, want.state[h].max) << d << "/" << g << "/" << n << "/" << softcap;
                        EXPECT_EQ(got.state[h].sum, want.state[h].sum) << d << "/" << g << "/" << n << "/" << softcap;
                    }
                    ASSERT_EQ(0, std::memcmp(got.acc.data(), want.acc.data(), got.acc.size() * sizeof(uint16_t)))
                        << "head_dim " << d << ", " << g << " heads, " << n << " positions, softcap " << softcap;
                }
            }
        }
    }
}

// One head of size 64 (a specialised size: the SIMD path where the CPU has
// it), a query of 1 in element 0, and two positions whose values are 1 and 3
// everywhere and whose keys give scores 0 and `second_score` (before scale).
struct TwoPositions {
    static constexpr int d = 64;
    std::vector<float> q = std::vector<float>(d, 0.0f);
    std::vector<uint16_t> k = std::vector<uint16_t>(2 * d, fp32_to_fp16(0.0f)), v = std::vector<uint16_t>(2 * d);
    std::vector<uint16_t> acc = std::vector<uint16_t>(d, 0);
    HeadState st{nullptr, nullptr, -INFINITY, 0.0f};

    explicit TwoPositions(float second_score) {
        q[0] = 1.0f;
        k[d] = fp32_to_fp16(second_score);
        for (int i = 0; i < d; ++i) {
            v[i] = fp32_to_fp16(1.0f);
            v[d + i] = fp32_to_fp16(3.0f);
        }
        st = {q.data(), acc.data(), -INFINITY, 0.0f};
    }
    std::vector<float> attend(float scale, float softcap) {
        attend_positions(&st, 1, k.data(), v.data(), d, 2, d, scale, softcap);
        std::vector<float> out(d);
        f16_to_f32_scaled(acc.data(), 1.0f / st.sum, out.data(), d);
        return out;
    }
};

TEST(AttendPositions, WeightsFollowTheScores) {
    // Scores 0 and ln 3 apart: the weighted mean is (1 + 3 * 3) / (1 + 3) = 2.5.
    TwoPositions two(std::log(3.0f));
    for (float x : two.attend(1.0f, 0.0f)) EXPECT_NEAR(x, 2.5f, 0.01f);
}

TEST(AttendPositions, SoftCapBoundsTheScores) {
    // Scores 0 and 40 capped at 2 (scale 1/2, then 2 tanh): 0 and 2 tanh(20)
    // = 2, so the weights are 1 and e^2 instead of 1 and e^40.
    TwoPositions two(40.0f);
    const std::vector<float> out = two.attend(0.5f, 2.0f);
    EXPECT_FLOAT_EQ(two.st.max, 2.0f);
    const float e2 = std::exp(2.0f);
    for (float x : out) EXPECT_NEAR(x, (1.0f + 3.0f * e2) / (1.0f + e2), 0.01f);
}

}  // namespace
}  // namespace clawbot::kernels
