// LongRoPE (phi3): the rope_factors_short / _long tensors divide each
// pair's frequency, the long ones once the served context passes the
// original one, and rope.scaling.attn_factor scales the rotation.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/model/ops.h"
#include "support/model_runner.h"
#include "support/test_support.h"

namespace clawbot {
namespace {

TEST(LongRope, AnglesDivideByTheFactorsAndScaleByTheAttnFactor) {
    const float factors[4] = {1.0f, 2.0f, 4.0f, 0.5f};
    ops::RopeFrequencies plain{10000.0f, nullptr, 1.0f};
    ops::RopeFrequencies scaled{10000.0f, factors, 1.5f};
    float a[8], b[8];
    ops::rope_angles(7, 8, plain, a);
    ops::rope_angles(7, 8, scaled, b);
    for (int i = 0; i < 4; ++i) {
        EXPECT_NEAR(a[2 * i] * a[2 * i] + a[2 * i + 1] * a[2 * i + 1], 1.0f, 1e-6f);
        const float want = 7.0f * std::pow(10000.0f, -2.0f * static_cast<float>(i) / 8.0f) / factors[i];
        EXPECT_NEAR(b[2 * i], 1.5f * std::cos(want), 1e-5f) << i;
        EXPECT_NEAR(b[2 * i + 1], 1.5f * std::sin(want), 1e-5f) << i;
    }
}

// synth-phi3 with factor tensors and an original context of `original`.
std::string phi3_with_factors(const std::string& dir, float short_factor, float long_factor, int original) {
    auto src = gguf::GgufFile::open(test::shared_path("models/synth-phi3-q4_k_m.gguf"));
    EXPECT_TRUE(src.ok());
    gguf::GgufWriter w;
    for (const auto& [key, value] : (*src)->metadata()) w.copy_value(std::string(key), value);
    w.set_u32("phi3.rope.scaling.original_context_length", static_cast<uint32_t>(original));
    for (const auto& t : (*src)->tensors()) {
        std::vector<uint64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
        w.add_tensor(std::string(t.name), t.type, ne, std::vector<uint8_t>(t.data, t.data + t.n_bytes));
    }
    const int pairs = 16;  // rope.dimension_count 32
    for (auto [name, factor] : {std::pair{"rope_factors_short.weight", short_factor}, std::pair{"rope_factors_long.weight", long_factor}}) {
        std::vector<float> f(pairs, factor);
        std::vector<uint8_t> bytes(f.size() * sizeof(float));
        std::memcpy(bytes.data(), f.data(), bytes.size());
        w.add_tensor(name, DType::F32, {static_cast<uint64_t>(pairs)}, bytes);
    }
    const std::string path = dir + "/phi3-factors.gguf";
    EXPECT_TRUE(w.write(path).ok());
    return path;
}

TEST(LongRope, ShortFactorsWithinTheOriginalContextLongOnesBeyond) {
    const std::string dir = test::make_temp_dir();
    ThreadPool pool(2);
    const std::vector<TokenId> prompt = {1, 450, 4996, 17354, 1701, 29916, 432, 17204};
    auto base = Model::load(test::shared_path("models/synth-phi3-q4_k_m.gguf"));
    ASSERT_TRUE(base.ok());
    const auto plain = test::logits_at_every_position(**base, pool, prompt);
    // Short factors of 1 change nothing while the context (the prompt's 8
    // tokens here) stays within the original 64 ...
    auto within = Model::load(phi3_with_factors(dir, 1.0f, 8.0f, 64));
    ASSERT_TRUE(within.ok()) << within.error().message;
    const auto same = test::logits_at_every_position(**within, pool, prompt);
    EXPECT_EQ(same.back(), plain.back());
    // ... and beyond an original context of 4, the long factors apply.
    const std::string dir2 = dir + "/beyond";
    std::filesystem::create_directories(dir2);
    auto beyond = Model::load(phi3_with_factors(dir2, 1.0f, 8.0f, 4));
    ASSERT_TRUE(beyond.ok()) << beyond.error().message;
    const auto changed = test::logits_at_every_position(**beyond, pool, prompt);
    EXPECT_LT(test::cosine_similarity(changed.back(), plain.back()), 0.9999);
    std::filesystem::remove_all(dir);
}

TEST(LongRope, NonPositiveFactorsAreRefused) {
    const std::string dir = test::make_temp_dir();
    auto model = Model::load(phi3_with_factors(dir, 0.0f, 1.0f, 64));
    ASSERT_FALSE(model.ok());
    EXPECT_NE(model.error().message.find("rope_factors_short"), std::string::npos) << model.error().message;
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace clawbot
