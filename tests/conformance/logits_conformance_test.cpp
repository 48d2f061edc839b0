// Our logits against llama.cpp's (../shared/reference/logits): last-position
// cosine similarity, top-1 agreement where the reference is decisive, and on
// the real stories260K model the exact greedy continuation.
#include <algorithm>
#include <cctype>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/scheduler/run_to_end.h"
#include "engine/tensor/packed_kernels.h"
#include "support/model_runner.h"
#include "support/test_support.h"

namespace clawbot {
namespace {

struct Case {
    std::string model;  // file stem in ../shared/models
    std::string name;   // case name in the reference file
    double min_cosine;
    // How far float-order noise may move logits on this model. The random
    // gemma3 and phi3 fixtures amplify a one-ulp difference anywhere into
    // logit changes of about 1%: gemma3's FFN looks GELU up in an fp16 table
    // (an input one ulp to either side of a rounding boundary picks another
    // entry), and both store K/V and the query in F16 for attention. The
    // packed kernels add the same integers in another float order than the
    // reference's vec_dot, so on these two files their logits drift from the
    // reference's by up to 1.5% and one decisive top-1 may flip. The scalar
    // kernels keep the reference's float order and must agree everywhere
    // (ReferenceOrderMatchesEveryDecisiveTopToken).
    double same_path_cosine = 0.9999;
    int packed_top1_misses_allowed = 0;
};

// Decisive positions of the reference (top-1/top-2 margin above 2% of its
// top-10 spread) whose top-1 token differs from ours.
struct TopTokenCount {
    int checked = 0;
    std::vector<std::string> misses;
};

TopTokenCount count_top_token_misses(const nlohmann::json& ref, const std::vector<std::vector<float>>& logits) {
    TopTokenCount count;
    const auto& positions = ref["positions"];
    for (size_t i = 0; i < positions.size() && i < logits.size(); ++i) {
        const auto& top = positions[i]["top"];
        const float first = top[0][1].get<float>(), second = top[1][1].get<float>();
        const float spread = first - top[top.size() - 1][1].get<float>();
        if (first - second <= 0.02f * spread) continue;  // too close to call
        const auto& row = logits[i];
        const TokenId ours = static_cast<TokenId>(std::max_element(row.begin(), row.end()) - row.begin());
        if (ours != top[0][0].get<TokenId>()) {
            count.misses.push_back("position " + std::to_string(i) + ": ours " + std::to_string(ours) + ", reference " +
                                   std::to_string(top[0][0].get<TokenId>()));
        }
        ++count.checked;
    }
    return count;
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.model << "." << c.name; }

std::string case_label(const testing::TestParamInfo<Case>& info) {
    std::string s = info.param.model + "_" + info.param.name;
    std::replace_if(s.begin(), s.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    return s;
}

class LogitsConformance : public testing::TestWithParam<Case> {
protected:
    void SetUp() override {
        const Case& c = GetParam();
        ref_ = test::read_json(test::shared_path("reference/logits/" + c.model + "." + c.name + ".json"));
        auto model = Model::load(test::shared_path("models/" + c.model + ".gguf"));
        ASSERT_TRUE(model.ok()) << model.error().message;
        model_ = std::move(*model);
        prompt_ = ref_["prompt"].get<std::vector<TokenId>>();
    }

    nlohmann::json ref_;
    std::unique_ptr<Model> model_;
    std::vector<TokenId> prompt_;
    ThreadPool pool_{2};
};

TEST_P(LogitsConformance, LastPositionLogitsMatchByCosine) {
    ASSERT_EQ(ref_["n_vocab"].get<int>(), model_->config().n_vocab);
    const auto logits = test::logits_at_every_position(*model_, pool_, prompt_);
    const auto expected = ref_["last_logits"].get<std::vector<float>>();
    const double cos = test::cosine_similarity(logits.back(), expected);
    EXPECT_GE(cos, GetParam().min_cosine);
}

TEST_P(LogitsConformance, TopTokenMatchesWhereReferenceIsDecisive) {
    // The path users run: packed weights where the CPU has kernels for them.
    ASSERT_EQ(ref_["positions"].size(), prompt_.size());
    const TopTokenCount count = count_top_token_misses(ref_, test::logits_at_every_position(*model_, pool_, prompt_));
    EXPECT_GT(count.checked, 0) << "no decisive position to check";
    EXPECT_LE(static_cast<int>(count.misses.size()), GetParam().packed_top1_misses_allowed)
        << ::testing::PrintToString(count.misses);
}

TEST_P(LogitsConformance, ReferenceOrderMatchesEveryDecisiveTopToken) {
    // The scalar kernels on unpacked weights: for Q5_K and Q6_K (the gemma3
    // fixture's types) they add in the reference's float order, so even the
    // fixtures that amplify float noise agree at every decisive position.
    auto mapped = Model::load(test::shared_path("models/" + GetParam().model + ".gguf"),
                              LoadOptions{.repack = false, .kernel_isa = kernels::Isa::Scalar});
    ASSERT_TRUE(mapped.ok()) << mapped.error().message;
    const TopTokenCount count = count_top_token_misses(ref_, test::logits_at_every_position(**mapped, pool_, prompt_));
    EXPECT_GT(count.checked, 0) << "no decisive position to check";
    EXPECT_TRUE(count.misses.empty()) << ::testing::PrintToString(count.misses);
}

TEST_P(LogitsConformance, SlicedPrefillGivesTheSameLogits) {
    // Feeding the prompt in slices of 3 (as the scheduler does) must not
    // change the result beyond float noise.
    const auto whole = test::logits_at_every_position(*model_, pool_, prompt_);
    const auto sliced = test::logits_at_every_position(*model_, pool_, prompt_, 3);
    ASSERT_EQ(whole.size(), sliced.size());
    for (size_t i = 0; i < whole.size(); ++i) EXPECT_GE(test::cosine_similarity(whole[i], sliced[i]), 0.99999) << i;
}

TEST_P(LogitsConformance, PackedWeightsGiveTheMappedFileLogits) {
    // Every matrix whose type has packed kernels on this CPU runs packed by
    // default, and the packed kernels change nothing beyond float noise.
    const ModelWeights& w = model_->weights();
    int packable = 0, packed = 0;
    auto count = [&](const Matrix& m) {
        packable += kernels::packed_kernels(m.type) != nullptr;
        packed += m.packed != nullptr;
    };
    for (const LayerWeights& L : w.layers) for_each_matrix(L, count);
    count(w.output);
    EXPECT_EQ(packed, packable);
    EXPECT_EQ(model_->packing().matrices, packed);

    auto mapped = Model::load(test::shared_path("models/" + GetParam().model + ".gguf"), LoadOptions{.repack = false});
    ASSERT_TRUE(mapped.ok()) << mapped.error().message;
    EXPECT_EQ((*mapped)->packing().matrices, 0);
    const auto with_packed = test::logits_at_every_position(*model_, pool_, prompt_);
    const auto with_mapped = test::logits_at_every_position(**mapped, pool_, prompt_);
    ASSERT_EQ(with_packed.size(), with_mapped.size());
    // The two paths add the same integer block sums in a different float
    // order; random-weight models amplify that a little (q4_0: 0.99994).
    for (size_t i = 0; i < with_packed.size(); ++i) {
        EXPECT_GE(test::cosine_similarity(with_packed[i], with_mapped[i]), GetParam().same_path_cosine) << "position " << i;
    }
    // ... and the packed order is as close to the reference, within that
    // amplified float noise (the newer types' mapped path is the scalar
    // reference, whose order lands either side: q5_0 0.999956 packed
    // against 0.999999 mapped, q5_1 0.999933 against 0.999934).
    const auto expected = ref_["last_logits"].get<std::vector<float>>();
    EXPECT_GE(test::cosine_similarity(with_packed.back(), expected),
              test::cosine_similarity(with_mapped.back(), expected) - 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Reference, LogitsConformance,
                         testing::Values(Case{"stories260K", "once", 0.999}, Case{"stories260K", "park", 0.999},
                                         Case{"synth-llama3-q8_0", "mixed", 0.999},
                                         Case{"synth-qwen2-f16", "mixed", 0.999},
                                         Case{"synth-spm-q8_0", "mixed", 0.999},
                                         Case{"synth-spm-q6_k", "mixed", 0.999},
                                         Case{"synth-spm-q4_0", "mixed", 0.99},
                                         Case{"synth-spm-q4_k_m", "mixed", 0.99},
                                         // The newer types (issue 12): 0.999, or 0.995 for the
                                         // coarsest codes.
                                         Case{"synth-mini-q4_1", "mixed", 0.999},
                                         Case{"synth-mini-q5_0", "mixed", 0.999},
                                         Case{"synth-mini-q5_1", "mixed", 0.999},
                                         Case{"synth-mini-q5_k_m", "mixed", 0.999},
                                         Case{"synth-mini-iq4_nl", "mixed", 0.995},
                                         Case{"synth-mini-iq4_xs", "mixed", 0.995},
                                         Case{"synth-mini-q3_k_m", "mixed", 0.995},
                                         Case{"synth-mini-q2_k", "mixed", 0.995},
                                         // Architectures (issue 12).
                                         Case{"synth-qwen3-q8_0", "mixed", 0.999},
                                         Case{"synth-qwen3moe-q4_k_m", "mixed", 0.999},
                                         Case{"synth-phi3-q4_k_m", "mixed", 0.999, 0.999, 1},
                                         Case{"synth-gemma3-q5_k_m", "mixed", 0.999, 0.999, 1}),
                         case_label);

class GreedyConformance : public testing::TestWithParam<std::string> {};

TEST_P(GreedyConformance, Stories260KGreedyContinuationMatchesExactly) {
    const auto ref = test::read_json(test::shared_path("reference/logits/stories260K." + GetParam() + ".json"));
    auto model = Model::load(test::shared_path("models/stories260K.gguf"));
    ASSERT_TRUE(model.ok()) << model.error().message;
    const auto prompt = ref["prompt"].get<std::vector<TokenId>>();
    const auto expected = ref["greedy"].get<std::vector<TokenId>>();
    // Through the engine and scheduler that serve users, a batch of one.
    EngineOptions options;
    options.threads = 2;
    options.context_size = 512;
    options.max_batch_size = 1;
    InferenceEngine engine(**model, options);
    GenerationRequest request;
    request.prompt = prompt;
    request.max_tokens = static_cast<int>(expected.size());
    request.sampling.temperature = 0.0f;
    auto result = run_to_end(engine, std::move(request));
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->tokens, expected);
    EXPECT_EQ(result->text, ref["greedy_text"].get<std::string>());
}

INSTANTIATE_TEST_SUITE_P(Reference, GreedyConformance, testing::Values("once", "park"));

}  // namespace
}  // namespace clawbot
