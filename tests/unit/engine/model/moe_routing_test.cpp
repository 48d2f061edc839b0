// Mixture-of-experts routing: top-k by softmax probability, weights
// renormalized over the chosen k, and tokens bucketed by expert in order.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/model/moe_routing.h"

namespace clawbot {
namespace {

TEST(MoeRouting, PicksTheTopKAndRenormalizesTheirSoftmaxWeights) {
    MoeRouting r(4, 4, 2);
    // token 0 prefers experts 2 then 0; token 1 prefers 3 then 2.
    const std::vector<float> logits = {1.0f, -2.0f, 3.0f, 0.0f,   //
                                       0.0f, 0.5f, 1.0f, 4.0f};
    r.route(logits.data(), 4, 2);
    ASSERT_EQ(r.count(0), 1);
    EXPECT_EQ(r.count(1), 0);
    ASSERT_EQ(r.count(2), 2);
    ASSERT_EQ(r.count(3), 1);
    // Softmax then renormalization over the two chosen: e^3 / (e^3 + e^1).
    const float w02 = std::exp(3.0f) / (std::exp(3.0f) + std::exp(1.0f));
    EXPECT_EQ(r.slots(0)[0].token, 0);
    EXPECT_NEAR(r.slots(0)[0].weight, 1.0f - w02, 1e-6f);
    EXPECT_EQ(r.slots(2)[0].token, 0);  // token order within a bucket
    EXPECT_NEAR(r.slots(2)[0].weight, w02, 1e-6f);
    EXPECT_EQ(r.slots(2)[1].token, 1);
    const float w13 = std::exp(4.0f) / (std::exp(4.0f) + std::exp(1.0f));
    EXPECT_NEAR(r.slots(2)[1].weight, 1.0f - w13, 1e-6f);
    EXPECT_EQ(r.slots(3)[0].token, 1);
    EXPECT_NEAR(r.slots(3)[0].weight, w13, 1e-6f);
}

TEST(MoeRouting, EveryTokenLandsInExactlyKBucketsWithWeightsSummingToOne) {
    const int tokens = 7, experts = 8, used = 3;
    MoeRouting r(tokens, experts, used);
    std::vector<float> logits(static_cast<size_t>(tokens * experts));
    for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>((i * 37) % 11) - 5.0f;
    for (int round = 0; round < 2; ++round) {  // a second batch reuses the buffers
        r.route(logits.data(), experts, tokens - round);
        std::vector<int> seen(tokens, 0);
        std::vector<float> total(tokens, 0.0f);
        int slots = 0;
        for (int e = 0; e < experts; ++e) {
            for (int i = 0; i < r.count(e); ++i) {
                const ExpertSlot& s = r.slots(e)[i];
                ++seen[static_cast<size_t>(s.token)];
                total[static_cast<size_t>(s.token)] += s.weight;
                if (i > 0) {
                    EXPECT_LT(r.slots(e)[i - 1].token, s.token);
                }
                ++slots;
            }
        }
        EXPECT_EQ(slots, (tokens - round) * used);
        for (int t = 0; t < tokens - round; ++t) {
            EXPECT_EQ(seen[static_cast<size_t>(t)], used) << t;
            EXPECT_NEAR(total[static_cast<size_t>(t)], 1.0f, 1e-6f) << t;
        }
    }
}

TEST(MoeRouting, TiesGoToTheLowerExpert) {
    MoeRouting r(1, 4, 2);
    const std::vector<float> logits = {0.5f, 0.5f, 0.5f, 0.5f};
    r.route(logits.data(), 4, 1);
    EXPECT_EQ(r.count(0), 1);
    EXPECT_EQ(r.count(1), 1);
    EXPECT_EQ(r.count(2), 0);
    EXPECT_NEAR(r.slots(0)[0].weight, 0.5f, 1e-7f);
}

}  // namespace
}  // namespace clawbot
