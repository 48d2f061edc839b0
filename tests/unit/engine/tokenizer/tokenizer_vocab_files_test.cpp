// Every string of llama.cpp's vocabulary test files must tokenize to the ids
// llama.cpp produced (no BOS, special tokens not parsed).
#include <gtest/gtest.h>

#include "tokenizer_test_data.h"

namespace clawbot {
namespace {

class VocabFileTest : public ::testing::TestWithParam<std::string> {};

TEST_P(VocabFileTest, EveryInputTokenizesLikeLlamaCpp) {
    const std::string name = GetParam();
    const Tokenizer* tok = test::vocab_tokenizer(name);
    ASSERT_NE(tok, nullptr);
    const auto inputs = test::read_vocab_inputs(test::vocab_path(name) + ".inp");
    const auto expected = test::read_vocab_outputs(test::vocab_path(name) + ".out");
    ASSERT_EQ(inputs.size(), expected.size());
    ASSERT_GE(inputs.size(), 40u);
    for (size_t i = 0; i < inputs.size(); ++i) {
        EXPECT_EQ(tok->encode(inputs[i], /*add_special=*/false, /*parse_special=*/false), expected[i])
            << name << " case " << i << ": \"" << inputs[i] << "\"";
    }
}

INSTANTIATE_TEST_SUITE_P(SharedVocabs, VocabFileTest, ::testing::ValuesIn(test::all_vocab_names()),
                         [](const auto& info) {
                             std::string n = info.param;
                             for (char& c : n) if (c == '-') c = '_';
                             return n;
                         });

}  // namespace
}  // namespace clawbot
