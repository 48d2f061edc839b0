// Every line of reference/tokenize/NAME.jsonl: llama.cpp's ids for a text
// under each combination of add_special and parse_special.
#include <sstream>

#include <gtest/gtest.h>

#include "tokenizer_test_data.h"

namespace clawbot {
namespace {

class ReferenceTokenizeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceTokenizeTest, EveryCaseMatchesLlamaCpp) {
    const std::string name = GetParam();
    const Tokenizer* tok = test::vocab_tokenizer(name);
    ASSERT_NE(tok, nullptr);
    std::istringstream lines(test::read_file(test::shared_path("reference/tokenize/" + name + ".jsonl")));
    size_t n_cases = 0;
    for (std::string line; std::getline(lines, line);) {
        if (line.empty()) continue;
        const auto c = nlohmann::json::parse(line);
        const std::string text = c.at("text");
        const bool add_special = c.at("add_special");
        const bool parse_special = c.at("parse_special");
        const auto expected = c.at("tokens").get<std::vector<TokenId>>();
        EXPECT_EQ(tok->encode(text, add_special, parse_special), expected)
            << name << " line " << n_cases + 1 << ": \"" << text << "\" add_special=" << add_special
            << " parse_special=" << parse_special;
        ++n_cases;
    }
    EXPECT_GE(n_cases, 50u);
}

INSTANTIATE_TEST_SUITE_P(SharedVocabs, ReferenceTokenizeTest, ::testing::ValuesIn(test::all_vocab_names()),
                         [](const auto& info) {
                             std::string n = info.param;
                             for (char& c : n) if (c == '-') c = '_';
                             return n;
                         });

}  // namespace
}  // namespace clawbot
