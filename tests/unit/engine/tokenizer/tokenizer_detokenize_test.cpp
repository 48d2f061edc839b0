// Tokens back to text: pieces reproduce the input, llama.cpp's rendering of
// generated tokens, and the incremental detokenizer streams whole characters.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tokenizer_test_data.h"

namespace clawbot {
namespace {

const std::vector<std::string> kBpeVocabs = {"llama-bpe", "qwen2",        "gpt-2", "qwen35",    "starcoder",
                                             "falcon",    "deepseek-llm", "mpt",   "command-r", "deepseek-coder"};
const std::vector<std::string> kSpmVocabs = {"llama-spm", "phi-3"};

// Text where characters span several tokens in every vocabulary.
const std::vector<std::string> kMultibyteTexts = {
    "你好，介绍一下部署流程。智能对话机器人部署方案分为本地化部署与云端部署两种模式",
    "emoji 🦙🚀 and ñandú café 😶‍🌫️ ✅ 👩‍👩‍👧‍👦",
    "日本語のテキスト 한국어 हिन्दी العربية עברית Ωμέγα Кириллица",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𓀀𓀁 ﷽ 🇺🇳",
};

// Strict UTF-8 check (Unicode table 3-7), written independently of the engine.
bool is_valid_utf8(const std::string& s) {
    size_t i = 0;
    const auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    while (i < s.size()) {
        const unsigned char b = at(i);
        size_t n = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (b < 0x80) { ++i; continue; }
        if (b >= 0xC2 && b <= 0xDF) n = 1;
        else if (b == 0xE0) { n = 2; lo = 0xA0; }
        else if (b == 0xED) { n = 2; hi = 0x9F; }
        else if (b >= 0xE1 && b <= 0xEF) n = 2;
        else if (b == 0xF0) { n = 3; lo = 0x90; }
        else if (b == 0xF4) { n = 3; hi = 0x8F; }
        else if (b >= 0xF1 && b <= 0xF3) n = 3;
        else return false;
        if (i + n >= s.size()) return false;  // truncated
        if (at(i + 1) < lo || at(i + 1) > hi) return false;
        for (size_t k = 2; k <= n; ++k) {
            if ((at(i + k) & 0xC0) != 0x80) return false;
        }
        i += n + 1;
    }
    return true;
}

std::string decode_all(const Tokenizer& tok, const std::vector<TokenId>& ids, bool render_special = false) {
    std::string text;
    for (TokenId id : ids) text += tok.token_to_piece(id, render_special);
    return text;
}

// All strings from the shared test files of one vocabulary.
std::vector<std::string> shared_texts(const std::string& name) {
    std::vector<std::string> texts = test::read_vocab_inputs(test::vocab_path(name) + ".inp");
    std::istringstream lines(test::read_file(test::shared_path("reference/tokenize/" + name + ".jsonl")));
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) texts.push_back(nlohmann::json::parse(line).at("text"));
    }
    return texts;
}

TEST(Detokenize, ValidatorAgreesWithKnownCases) {
    EXPECT_TRUE(is_valid_utf8("plain ascii"));
    EXPECT_TRUE(is_valid_utf8("\xE4\xBD\xA0\xF0\x9F\xA6\x99"));
    EXPECT_FALSE(is_valid_utf8("\xE4\xBD"));
    EXPECT_FALSE(is_valid_utf8("\x80"));
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));  // surrogate
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));      // overlong
}

TEST(Detokenize, BpePiecesReproduceTheText) {
    for (const auto& name : kBpeVocabs) {
        const Tokenizer* tok = test::vocab_tokenizer(name);
        ASSERT_NE(tok, nullptr);
        std::vector<std::string> texts = shared_texts(name);
        texts.insert(texts.end(), kMultibyteTexts.begin(), kMultibyteTexts.end());
        for (const auto& text : texts) {
            EXPECT_EQ(decode_all(*tok, tok->encode(text, false, false)), text) << name << ": \"" << text << "\"";
        }
    }
}

TEST(Detokenize, SpmPiecesReproduceTheTextAfterThePrefixSpace) {
    for (const auto& name : kSpmVocabs) {
        const Tokenizer* tok = test::vocab_tokenizer(name);
        ASSERT_NE(tok, nullptr);
        std::vector<std::string> texts = shared_texts(name);
        texts.insert(texts.end(), kMultibyteTexts.begin(), kMultibyteTexts.end());
        for (const auto& text : texts) {
            if (text.empty()) continue;  // no fragment, so no prefix space either
            EXPECT_EQ(decode_all(*tok, tok->encode(text, false, false)), " " + text) << name << ": \"" << text << "\"";
        }
    }
}

TEST(Detokenize, SentencePieceBpePiecesReproduceTheText) {
    // gemma4: spaces as U+2581, no prefix space, byte tokens for the rest.
    const Tokenizer* tok = test::vocab_tokenizer("gemma-4");
    ASSERT_NE(tok, nullptr);
    std::vector<std::string> texts = shared_texts("gemma-4");
    texts.insert(texts.end(), kMultibyteTexts.begin(), kMultibyteTexts.end());
    for (const auto& text : texts) {
        EXPECT_EQ(decode_all(*tok, tok->encode(text, false, false)), text) << "\"" << text << "\"";
    }
}

TEST(Detokenize, ControlTokensRenderOnlyWhenAsked) {
    const Tokenizer* tok = test::vocab_tokenizer("llama-bpe");
    ASSERT_NE(tok, nullptr);
    const auto ids = tok->encode("<|eot_id|>", false, true);
    ASSERT_EQ(ids.size(), 1u);
    EXPECT_TRUE(tok->is_control(ids[0]));
    EXPECT_EQ(tok->token_to_piece(ids[0]), "");
    EXPECT_EQ(tok->token_to_piece(ids[0], true), "<|eot_id|>");
    EXPECT_EQ(tok->token_to_piece(-1), "");
    EXPECT_EQ(tok->token_to_piece(tok->n_vocab()), "");
}

TEST(Detokenize, GeneratedTokensRenderAsLlamaCppRenderedThem) {
    // greedy_text is llama.cpp's rendering of the greedy token ids.
    for (const std::string model : {"stories260K", "synth-llama3-q8_0", "synth-qwen2-f16", "synth-spm-q4_k_m"}) {
        auto tok = test::load_tokenizer_file(test::shared_path("models/" + model + ".gguf"));
        ASSERT_TRUE(tok) << tok.error().message;
        for (const auto& ref_file : {".once.json", ".mixed.json"}) {
            const std::string path = test::shared_path("reference/logits/" + model + ref_file);
            if (!std::ifstream(path)) continue;
            const auto ref = test::read_json(path);
            const auto greedy = ref.at("greedy").get<std::vector<TokenId>>();
            EXPECT_EQ(decode_all(**tok, greedy), ref.at("greedy_text").get<std::string>()) << path;
        }
    }
}

// Feeds ids one at a time; checks every chunk and returns their concatenation.
std::string stream(const Tokenizer& tok, const std::vector<TokenId>& ids, size_t* held_chunks = nullptr) {
    IncrementalDetokenizer detok(tok);
    std::string all;
    for (TokenId id : ids) {
        const std::string chunk = detok.push(id);
        EXPECT_TRUE(is_valid_utf8(chunk)) << "token " << id;
        if (held_chunks && chunk.empty() && !tok.token_to_piece(id).empty()) ++*held_chunks;
        all += chunk;
    }
    const std::string rest = detok.flush();
    EXPECT_TRUE(is_valid_utf8(rest));
    return all + rest;
}

TEST(IncrementalDetokenizer, StreamsWholeCharactersOnly) {
    std::vector<std::string> names = kBpeVocabs;
    names.insert(names.end(), kSpmVocabs.begin(), kSpmVocabs.end());
    for (const auto& name : names) {
        const Tokenizer* tok = test::vocab_tokenizer(name);
        ASSERT_NE(tok, nullptr);
        size_t held_chunks = 0;
        for (const auto& text : kMultibyteTexts) {
            const auto ids = tok->encode(text, true, false);
            EXPECT_EQ(stream(*tok, ids, &held_chunks), decode_all(*tok, ids)) << name << ": \"" << text << "\"";
        }
        // The texts split characters across tokens in every vocabulary, so
        // the holding back was exercised, not just trivially satisfied.
        EXPECT_GT(held_chunks, 0u) << name;
    }
}

TEST(IncrementalDetokenizer, ReplacesBytesThatCanNeverCompleteACharacter) {
    const Tokenizer* tok = test::vocab_tokenizer("llama-spm");
    ASSERT_NE(tok, nullptr);
    const TokenId lead = 3 + 0xE4;         // <0xE4>: byte tokens follow <unk>, <s>, </s>
    const TokenId continuation = 3 + 0xBD;  // <0xBD>
    ASSERT_EQ(tok->token_to_piece(lead), "\xE4");
    ASSERT_EQ(tok->token_to_piece(continuation), "\xBD");

    IncrementalDetokenizer detok(*tok);
    EXPECT_EQ(detok.push(continuation), "\xEF\xBF\xBD");  // a stray continuation byte is final at once
    EXPECT_EQ(detok.push(lead), "");                      // could still become 你 (E4 BD A0)
    EXPECT_EQ(detok.push(continuation), "");
    EXPECT_EQ(detok.flush(), "\xEF\xBF\xBD");  // the stream ended mid-character
    EXPECT_EQ(detok.flush(), "");

    EXPECT_EQ(detok.push(lead), "");
    const TokenId hello = tok->encode("Hello", false, false).front();
    EXPECT_EQ(detok.push(hello), "\xEF\xBF\xBD Hello");  // the next token proved the byte invalid
}

}  // namespace
}  // namespace clawbot
