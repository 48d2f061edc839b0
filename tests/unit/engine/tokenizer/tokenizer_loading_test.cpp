// Reading vocabularies from GGUF: what the files (and llama.cpp's defaults)
// say about BOS/EOS, end of generation and special tokens, and clear
// refusals for tokenizers this engine does not implement.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/gguf/gguf_writer.h"
#include "tokenizer_test_data.h"

namespace clawbot {
namespace {

std::vector<TokenId> concat(std::vector<TokenId> a, const std::vector<TokenId>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

TEST(TokenizerLoading, EveryModelTokenizerLoads) {
    for (const std::string model : {"stories260K", "synth-llama3-q8_0", "synth-qwen2-f16", "synth-spm-q4_0",
                                    "synth-spm-q4_k_m", "synth-spm-q6_k", "synth-spm-q8_0"}) {
        auto tok = test::load_tokenizer_file(test::shared_path("models/" + model + ".gguf"));
        ASSERT_TRUE(tok) << model << ": " << tok.error().message;
        EXPECT_GT((*tok)->n_vocab(), 0);
        EXPECT_TRUE((*tok)->is_eog((*tok)->eos())) << model;
    }
}

TEST(TokenizerLoading, BosMatchesTheReferencePrompts) {
    // llama.cpp built these prompts with add_special: they start with BOS
    // exactly when the vocabulary adds one.
    for (const std::string run : {"stories260K.once", "synth-llama3-q8_0.mixed", "synth-qwen2-f16.mixed",
                                  "synth-spm-q8_0.mixed"}) {
        const std::string model = run.substr(0, run.find('.'));
        auto tok = test::load_tokenizer_file(test::shared_path("models/" + model + ".gguf"));
        ASSERT_TRUE(tok) << tok.error().message;
        const auto prompt = test::read_json(test::shared_path("reference/logits/" + run + ".json")).at("prompt");
        ASSERT_FALSE(prompt.empty());
        EXPECT_EQ((*tok)->add_bos(), prompt[0].get<TokenId>() == (*tok)->bos()) << run;
        EXPECT_EQ((*tok)->encode("", true, false).empty(), !(*tok)->add_bos()) << run;
    }
}

TEST(TokenizerLoading, SpecialIdsComeFromTheFileOrItsDefaults) {
    const Tokenizer* spm = test::vocab_tokenizer("llama-spm");
    const Tokenizer* llama3 = test::vocab_tokenizer("llama-bpe");
    const Tokenizer* qwen2 = test::vocab_tokenizer("qwen2");
    const Tokenizer* falcon = test::vocab_tokenizer("falcon");
    ASSERT_TRUE(spm && llama3 && qwen2 && falcon);
    EXPECT_EQ(spm->bos(), 1);
    EXPECT_EQ(spm->eos(), 2);
    EXPECT_TRUE(spm->add_bos());
    EXPECT_EQ(llama3->bos(), 128000);
    EXPECT_TRUE(llama3->add_bos());  // not in the file: llama-bpe's default
    EXPECT_EQ(qwen2->eos(), 151643);
    EXPECT_FALSE(qwen2->add_bos());
    EXPECT_FALSE(falcon->add_bos());  // plain BPE default
}

TEST(TokenizerLoading, EndOfGenerationFollowsLlamaCpp) {
    const Tokenizer* llama3 = test::vocab_tokenizer("llama-bpe");
    const Tokenizer* qwen2 = test::vocab_tokenizer("qwen2");
    const Tokenizer* phi3 = test::vocab_tokenizer("phi-3");
    const Tokenizer* spm = test::vocab_tokenizer("llama-spm");
    ASSERT_TRUE(llama3 && qwen2 && phi3 && spm);
    const auto id_of = [](const Tokenizer* t, const char* special) {
        const auto ids = t->encode(special, false, true);
        EXPECT_EQ(ids.size(), 1u) << special;
        return ids.empty() ? -1 : ids[0];
    };
    EXPECT_TRUE(llama3->is_eog(id_of(llama3, "<|eot_id|>")));
    EXPECT_TRUE(llama3->is_eog(id_of(llama3, "<|end_of_text|>")));
    EXPECT_FALSE(llama3->is_eog(id_of(llama3, "<|begin_of_text|>")));
    EXPECT_FALSE(llama3->is_eog(id_of(llama3, "<|start_header_id|>")));
    EXPECT_TRUE(qwen2->is_eog(id_of(qwen2, "<|im_end|>")));
    EXPECT_TRUE(qwen2->is_eog(id_of(qwen2, "<|endoftext|>")));
    EXPECT_FALSE(qwen2->is_eog(id_of(qwen2, "<|im_start|>")));
    EXPECT_TRUE(phi3->is_eog(id_of(phi3, "<|end|>")));
    EXPECT_TRUE(phi3->is_eog(32000));  // <|endoftext|>, the file's EOS
    EXPECT_FALSE(phi3->is_eog(id_of(phi3, "<|user|>")));
    EXPECT_TRUE(spm->is_eog(2));
    EXPECT_FALSE(spm->is_eog(1));
    EXPECT_FALSE(spm->is_eog(-1));
}

TEST(SpecialTokens, ParsedOnlyWhenAsked) {
    const Tokenizer* tok = test::vocab_tokenizer("llama-bpe");
    ASSERT_NE(tok, nullptr);
    const std::string text = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>";
    const auto parsed = tok->encode(text, true, true);
    const std::vector<TokenId> expected =
        concat(concat(concat(concat({tok->bos()}, tok->encode("<|start_header_id|>", false, true)),
                             tok->encode("user", false, false)),
                      concat(tok->encode("<|end_header_id|>", false, true), tok->encode("\n\nHi", false, false))),
               tok->encode("<|eot_id|>", false, true));
    EXPECT_EQ(parsed, expected);
    std::string unparsed;
    for (TokenId id : tok->encode(text, false, false)) {
        EXPECT_FALSE(tok->is_control(id)) << id;
        unparsed += tok->token_to_piece(id);
    }
    EXPECT_EQ(unparsed, text);
}

TEST(SpecialTokens, TextAroundSpecialTokensIsTokenizedOnItsOwn) {
    const Tokenizer* tok = test::vocab_tokenizer("qwen2");
    ASSERT_NE(tok, nullptr);
    const auto start = tok->encode("<|im_start|>", false, true);
    const auto end = tok->encode("<|im_end|>", false, true);
    ASSERT_EQ(start.size(), 1u);
    ASSERT_EQ(end.size(), 1u);
    EXPECT_TRUE(tok->is_control(start[0]));
    const auto ids = tok->encode("<|im_start|>user\nhi <|im_end|>\n", false, true);
    const auto expected = concat(concat(concat(start, tok->encode("user\nhi ", false, false)), end),
                                 tok->encode("\n", false, false));
    EXPECT_EQ(ids, expected);
}

TEST(SpecialTokens, UserDefinedTokensMatchEvenAsPlainText) {
    // DeepSeek declares single accented letters user-defined: they are cut
    // out of the text before the BPE runs, with or without special parsing.
    const Tokenizer* tok = test::vocab_tokenizer("deepseek-llm");
    ASSERT_NE(tok, nullptr);
    const auto plain = tok->encode("ø", false, false);
    ASSERT_EQ(plain.size(), 1u);
    EXPECT_EQ(plain, tok->encode("ø", false, true));
    EXPECT_EQ(tok->token_to_piece(plain[0]), "ø");
    EXPECT_FALSE(tok->is_control(plain[0]));
}

TEST(SpecialTokens, SpmTextAfterASpecialTokenStartsANewPiece) {
    // llama.cpp gives each text fragment that follows a special token its
    // own "▁" prefix, as at the start of the text.
    const Tokenizer* tok = test::vocab_tokenizer("llama-spm");
    ASSERT_NE(tok, nullptr);
    EXPECT_EQ(tok->encode("<s>Hello</s>", false, true),
              concat(concat({1}, tok->encode("Hello", false, false)), {2}));
    EXPECT_EQ(tok->encode("Hello<s>", true, true), concat(concat({1}, tok->encode("Hello", false, false)), {1}));
    // Unparsed, "<s>" is ordinary text inside one fragment.
    const auto plain = tok->encode("<s>Hello", false, false);
    EXPECT_EQ(std::count(plain.begin(), plain.end(), 1), 0);
}

TEST(SpecialTokens, Phi3SpecialTokensSwallowTheNewlineAfterThem) {
    // Phi-3 files are recognized by general.name; llama.cpp marks their
    // special tokens RSTRIP, so "<|user|>\nHi" reads as "<|user|>Hi".
    const Tokenizer* tok = test::vocab_tokenizer("phi-3");
    ASSERT_NE(tok, nullptr);
    const auto user = tok->encode("<|user|>", false, true);
    ASSERT_EQ(user.size(), 1u);
    EXPECT_EQ(tok->encode("<|user|>\nHi", false, true), concat(user, tok->encode("Hi", false, false)));
    EXPECT_EQ(tok->encode("<|user|>\nHi", false, true), tok->encode("<|user|>Hi", false, true));
}

struct ExtraToken {
    std::string text;
    int32_t type;  // tokenizer.ggml.token_type: 3 control, 4 user-defined
};

// Copies a vocabulary's tokenizer metadata into a new file, with changes:
// string keys replaced, keys dropped, tokens appended.
std::string craft_vocab(const std::string& from, const std::vector<std::pair<std::string, std::string>>& strings,
                        const std::vector<std::string>& drop, const std::vector<ExtraToken>& extra = {}) {
    auto src = gguf::GgufFile::open(test::vocab_path(from));
    EXPECT_TRUE(src) << src.error().message;
    gguf::GgufWriter w;
    for (const auto& [key, value] : (*src)->metadata()) {
        const std::string k(key);
        if (std::find(drop.begin(), drop.end(), k) != drop.end()) continue;
        bool replaced = false;
        for (const auto& s : strings) replaced |= s.first == k;
        if (!extra.empty() && k == "tokenizer.ggml.tokens") {
            std::vector<std::string> tokens(value.arr.strings.begin(), value.arr.strings.end());
            for (const auto& t : extra) tokens.push_back(t.text);
            w.set_string_array(k, std::move(tokens));
        } else if (!extra.empty() && k == "tokenizer.ggml.token_type") {
            std::vector<int32_t> types;
            for (uint64_t i = 0; i < value.arr.count; ++i) types.push_back(static_cast<int32_t>(value.arr.int_at(i)));
            for (const auto& t : extra) types.push_back(t.type);
            w.set_i32_array(k, std::move(types));
        } else if (!replaced) {
            w.copy_value(k, value);
        }
    }
    for (const auto& [key, value] : strings) w.set_string(key, value);
    const std::string path = test::make_temp_dir() + "/vocab.gguf";
    const auto written = w.write(path);
    EXPECT_TRUE(written) << written.error().message;
    return path;
}

TEST(SpecialTokens, LongerSpecialTokensAreMatchedFirst) {
    const std::string path = craft_vocab("gpt-2", {}, {}, {{"<x>", 3}, {"<x><y>", 3}, {"[u]", 4}});
    auto tok = test::load_tokenizer_file(path);
    ASSERT_TRUE(tok) << tok.error().message;
    const TokenId base = 50257;  // gpt-2's vocabulary size; the extra tokens follow it
    EXPECT_EQ((*tok)->encode("<x><y><x>", false, true), (std::vector<TokenId>{base + 1, base}));
    EXPECT_EQ((*tok)->encode("a<x><y>", false, true), concat((*tok)->encode("a", false, false), {base + 1}));
    // Control tokens need parse_special; user-defined ones do not.
    const auto plain = (*tok)->encode("<x>[u]", false, false);
    EXPECT_EQ(std::count(plain.begin(), plain.end(), base), 0);
    EXPECT_EQ(plain.back(), base + 2);
}

TEST(TokenizerLoading, RefusesUnknownTokenizerModelsByName) {
    const auto tok = test::load_tokenizer_file(craft_vocab("gpt-2", {{"tokenizer.ggml.model", "bert"}}, {}));
    ASSERT_FALSE(tok);
    EXPECT_NE(tok.error().message.find("'bert'"), std::string::npos) << tok.error().message;
}

TEST(TokenizerLoading, RefusesUnknownPreTokenizersByName) {
    const auto tok = test::load_tokenizer_file(craft_vocab("qwen2", {{"tokenizer.ggml.pre", "kimi-k2"}}, {}));
    ASSERT_FALSE(tok);
    EXPECT_NE(tok.error().message.find("'kimi-k2'"), std::string::npos) << tok.error().message;
    EXPECT_NE(tok.error().message.find("pre-tokenizer"), std::string::npos) << tok.error().message;
}

TEST(TokenizerLoading, RefusesFilesWithoutTheirTokenizerParts) {
    const auto no_model = test::load_tokenizer_file(craft_vocab("gpt-2", {}, {"tokenizer.ggml.model"}));
    ASSERT_FALSE(no_model);
    EXPECT_NE(no_model.error().message.find("tokenizer.ggml.model"), std::string::npos);
    const auto no_merges = test::load_tokenizer_file(craft_vocab("gpt-2", {}, {"tokenizer.ggml.merges"}));
    ASSERT_FALSE(no_merges);
    EXPECT_NE(no_merges.error().message.find("merges"), std::string::npos);
    const auto no_tokens = test::load_tokenizer_file(craft_vocab("llama-spm", {}, {"tokenizer.ggml.tokens"}));
    ASSERT_FALSE(no_tokens);
    EXPECT_NE(no_tokens.error().message.find("tokenizer.ggml.tokens"), std::string::npos);
}

TEST(TokenizerLoading, MissingPreTokenizerMeansDefault) {
    // Old conversions lack tokenizer.ggml.pre; llama.cpp falls back to its
    // default pattern, which still splits words (so merges stay inside them).
    auto tok = test::load_tokenizer_file(craft_vocab("gpt-2", {}, {"tokenizer.ggml.pre"}));
    ASSERT_TRUE(tok) << tok.error().message;
    const std::string text = "Hello, world! 12345 it's fine";
    std::string decoded;
    for (TokenId id : (*tok)->encode(text, false, false)) decoded += (*tok)->token_to_piece(id);
    EXPECT_EQ(decoded, text);
}

}  // namespace
}  // namespace clawbot
