#include "engine/sample/sampler.h"

#include <cmath>
#include <map>
#include <vector>

#include <gtest/gtest.h>

namespace clawbot {
namespace {

SamplerParams plain(float temperature) {
    SamplerParams p;
    p.temperature = temperature;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    return p;
}

TEST(Sampler, GreedyPicksTheLargestLogit) {
    Sampler s(plain(0.0f), 5);
    std::vector<float> logits = {0.1f, 2.0f, -1.0f, 1.9f, 0.0f};
    EXPECT_EQ(s.sample(logits, {}), 1);
}

TEST(Sampler, SameSeedSameSequenceDifferentSeedDifferent) {
    auto draw = [](uint64_t seed) {
        SamplerParams p = plain(1.0f);
        p.seed = seed;
        Sampler s(p, 50);
        std::vector<TokenId> out;
        for (int i = 0; i < 64; ++i) {
            std::vector<float> logits(50, 0.0f);
            out.push_back(s.sample(logits, {}));
        }
        return out;
    };
    EXPECT_EQ(draw(3), draw(3));
    EXPECT_NE(draw(3), draw(4));
}

TEST(Sampler, TemperatureOneFollowsTheSoftmax) {
    SamplerParams p = plain(1.0f);
    p.seed = 11;
    Sampler s(p, 3);
    const std::vector<float> base = {0.0f, std::log(3.0f), -100.0f};  // p = 1/4, 3/4, ~0
    std::map<TokenId, int> counts;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
        auto logits = base;
        ++counts[s.sample(logits, {})];
    }
    EXPECT_NEAR(counts[1] / static_cast<double>(n), 0.75, 0.02);
    EXPECT_EQ(counts[2], 0);
}

TEST(Sampler, TopKKeepsOnlyTheKBest) {
    SamplerParams p = plain(5.0f);  // flat enough that everything would appear
    p.top_k = 2;
    Sampler s(p, 6);
    for (int i = 0; i < 500; ++i) {
        std::vector<float> logits = {1.0f, 5.0f, 2.0f, 4.9f, 0.0f, 3.0f};
        const TokenId t = s.sample(logits, {});
        EXPECT_TRUE(t == 1 || t == 3) << t;
    }
}

TEST(Sampler, TopPCutsTheTail) {
    SamplerParams p = plain(1.0f);
    p.top_p = 0.5f;
    Sampler s(p, 3);
    for (int i = 0; i < 500; ++i) {
        std::vector<float> logits = {std::log(0.6f), std::log(0.3f), std::log(0.1f)};
        EXPECT_EQ(s.sample(logits, {}), 0);  // 0.6 alone already covers 0.5
    }
}

TEST(Sampler, MinPDropsUnlikelyTokens) {
    SamplerParams p = plain(1.0f);
    p.min_p = 0.2f;
    Sampler s(p, 3);
    for (int i = 0; i < 500; ++i) {
        std::vector<float> logits = {std::log(0.5f), std::log(0.4f), std::log(0.05f)};  // 0.05 < 0.2 * 0.5
        EXPECT_NE(s.sample(logits, {}), 2);
    }
}

TEST(Sampler, RepetitionPenaltyDividesPositiveAndMultipliesNegative) {
    SamplerParams p = plain(0.0f);
    p.repeat_penalty = 2.0f;
    Sampler s(p, 3);
    std::vector<float> logits = {3.0f, 2.0f, -1.0f};
    const std::vector<TokenId> recent = {0, 2};
    EXPECT_EQ(s.sample(logits, recent), 1);  // 3/2 = 1.5 < 2
    EXPECT_FLOAT_EQ(logits[0], 1.5f);
    EXPECT_FLOAT_EQ(logits[2], -2.0f);
}

TEST(Sampler, FrequencyAndPresencePenalties) {
    SamplerParams p = plain(0.0f);
    p.frequency_penalty = 0.5f;
    p.presence_penalty = 0.25f;
    Sampler s(p, 3);
    std::vector<float> logits = {1.0f, 1.0f, 1.0f};
    const std::vector<TokenId> recent = {0, 0, 0, 1};
    (void)s.sample(logits, recent);
    EXPECT_FLOAT_EQ(logits[0], 1.0f - 1.5f - 0.25f);
    EXPECT_FLOAT_EQ(logits[1], 1.0f - 0.5f - 0.25f);
    EXPECT_FLOAT_EQ(logits[2], 1.0f);
}

TEST(Sampler, PenaltyWindowOnlySeesRecentTokens) {
    SamplerParams p = plain(0.0f);
    p.presence_penalty = 10.0f;
    p.repeat_last_n = 2;
    Sampler s(p, 3);
    std::vector<float> logits = {1.0f, 0.0f, 0.0f};
    const std::vector<TokenId> recent = {0, 1, 2};  // token 0 is outside the window
    EXPECT_EQ(s.sample(logits, recent), 0);
}

}  // namespace
TEST(Sampler, LogitBiasBansAndForcesTokens) {
    std::vector<float> base = {3.0f, 1.0f, 0.5f, 0.0f};
    SamplerParams ban = plain(0.0f);
    ban.logit_bias = {{0, -100.0f}};
    Sampler banned(ban, 4);
    std::vector<float> logits = base;
    EXPECT_EQ(banned.sample(logits, {}), 1) << "the banned favourite was picked";

    SamplerParams force = plain(1.0f);
    force.logit_bias = {{3, 100.0f}};
    Sampler forced(force, 4);
    for (int i = 0; i < 50; ++i) {
        logits = base;
        EXPECT_EQ(forced.sample(logits, {}), 3);
    }
}

TEST(Sampler, LogprobsAreTheModelsDistributionBeforePenaltiesBiasAndTemperature) {
    SamplerParams p = plain(0.5f);
    p.logit_bias = {{2, -100.0f}};
    p.presence_penalty = 1.0f;
    Sampler s(p, 5);
    const std::vector<float> raw = {1.0f, 3.0f, 2.0f, -1.0f, 0.0f};
    std::vector<float> logits = raw;
    s.measure_logprobs(logits, 3);
    const std::vector<TokenId> recent = {1};
    const TokenId picked = s.sample(logits, recent);

    double norm = 0.0;
    for (float l : raw) norm += std::exp(static_cast<double>(l));
    const auto expected = [&](TokenId t) { return static_cast<float>(raw[static_cast<size_t>(t)] - std::log(norm)); };
    EXPECT_NEAR(s.logprob_of(picked), expected(picked), 1e-5);
    EXPECT_NEAR(s.logprob_of(2), expected(2), 1e-5) << "the bias changed the reported distribution";
    ASSERT_EQ(s.top_logprobs().size(), 3u);
    const TokenId best[] = {1, 2, 0};
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(s.top_logprobs()[i].token, best[i]);
        EXPECT_NEAR(s.top_logprobs()[i].logprob, expected(best[i]), 1e-5);
    }
    s.measure_logprobs(raw, 0);
    EXPECT_TRUE(s.top_logprobs().empty());
    s.measure_logprobs(raw, 99);
    EXPECT_EQ(s.top_logprobs().size(), 5u) << "more alternatives than the vocabulary holds";
}

}  // namespace clawbot
