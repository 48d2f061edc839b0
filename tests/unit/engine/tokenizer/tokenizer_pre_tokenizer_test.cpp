// The pre-tokenizer patterns on small inputs, worked out by hand from each
// model's regex (the shared reference data covers them at scale).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace clawbot {
namespace {

using Words = std::vector<std::string>;

Words words(PreTokenizer kind, std::string_view text) {
    const auto cps = utf8::decode_lenient(text);
    Words out;
    size_t covered = 0;
    for (const WordSpan& w : split_words(kind, cps)) {
        EXPECT_EQ(w.begin, covered) << "words must tile the text";
        covered = w.end;
        std::string s;
        for (size_t i = w.begin; i < w.end; ++i) utf8::append(s, cps[i]);
        out.push_back(s);
    }
    EXPECT_EQ(covered, cps.size());
    return out;
}

TEST(PreTokenizer, Gpt2) {
    EXPECT_EQ(words(PreTokenizer::Gpt2, "Hello world's  fine\n"),
              (Words{"Hello", " world", "'s", " ", " fine", "\n"}));
    EXPECT_EQ(words(PreTokenizer::Gpt2, "abc 12345 I'VE"), (Words{"abc", " 12345", " I", "'", "VE"}));
    EXPECT_EQ(words(PreTokenizer::Gpt2, "x  "), (Words{"x", "  "}));
    EXPECT_TRUE(words(PreTokenizer::Gpt2, "").empty());
}

TEST(PreTokenizer, Llama3) {
    EXPECT_EQ(words(PreTokenizer::Llama3, "abc 12345 I'VE"), (Words{"abc", " ", "123", "45", " I", "'VE"}));
    EXPECT_EQ(words(PreTokenizer::Llama3, "a \n\n b"), (Words{"a", " \n\n", " b"}));
    EXPECT_EQ(words(PreTokenizer::Llama3, "x!!\n\ny (z)"), (Words{"x", "!!\n\n", "y", " (", "z", ")"}));
    EXPECT_EQ(words(PreTokenizer::Llama3, "  Hello"), (Words{" ", " Hello"}));
}

TEST(PreTokenizer, QwenDigitsAreSingle) {
    EXPECT_EQ(words(PreTokenizer::Qwen2, "v1234"), (Words{"v", "1", "2", "3", "4"}));
    EXPECT_EQ(words(PreTokenizer::Qwen35, "v1234"), (Words{"v", "1", "2", "3", "4"}));
}

TEST(PreTokenizer, Qwen35KeepsCombiningMarksInWords) {
    const std::string decomposed = "Cafe\xCC\x81 ok";  // e + U+0301
    EXPECT_EQ(words(PreTokenizer::Qwen2, decomposed), (Words{"Cafe", "\xCC\x81", " ok"}));
    EXPECT_EQ(words(PreTokenizer::Qwen35, decomposed), (Words{"Cafe\xCC\x81", " ok"}));
}

TEST(PreTokenizer, StarcoderSplitsEveryDigit) {
    EXPECT_EQ(words(PreTokenizer::Starcoder, "abc123 x"), (Words{"abc", "1", "2", "3", " x"}));
}

TEST(PreTokenizer, FalconCutsPunctuationThenDigitTriples) {
    EXPECT_EQ(words(PreTokenizer::Falcon, "hello... 1234567"), (Words{"hello", "...", " ", "123", "456", "7"}));
}

TEST(PreTokenizer, DeepseekLlmSeparatesScripts) {
    EXPECT_EQ(words(PreTokenizer::DeepseekLlm, "Hello, \xE4\xB8\x96\xE7\x95\x8C 123"),  // 世界
              (Words{"Hello", ",", " ", "\xE4\xB8\x96\xE7\x95\x8C", " ", "123"}));
}

TEST(PreTokenizer, KnownNamesOnly) {
    ASSERT_TRUE(find_pre_tokenizer("llama-bpe"));
    EXPECT_EQ(find_pre_tokenizer("llama-bpe")->kind, PreTokenizer::Llama3);
    EXPECT_TRUE(find_pre_tokenizer("llama-bpe")->ignore_merges);
    EXPECT_TRUE(find_pre_tokenizer("llama-bpe")->add_bos);
    EXPECT_EQ(find_pre_tokenizer("qwen2")->kind, PreTokenizer::Qwen2);
    EXPECT_EQ(find_pre_tokenizer("gpt-2")->kind, PreTokenizer::Gpt2);
    EXPECT_EQ(find_pre_tokenizer("default")->kind, PreTokenizer::Default);
    EXPECT_FALSE(find_pre_tokenizer("kimi-k2"));
    EXPECT_FALSE(find_pre_tokenizer(""));
}

}  // namespace
}  // namespace clawbot
