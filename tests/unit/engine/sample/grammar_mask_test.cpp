// Token masks on real vocabularies: byte-level BPE (qwen2, ~152k tokens) and
// SentencePiece (stories260K). The trie walk must allow exactly the tokens
// whose bytes the matcher accepts, and sampling only allowed tokens must
// produce text the grammar (and a JSON parser) accepts.
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/gguf/gguf_file.h"
#include "engine/sample/token_trie.h"
#include "grammar_test_data.h"
#include "support/test_support.h"

namespace clawbot {
namespace {

struct Vocab {
    std::unique_ptr<Tokenizer> tokenizer;
    std::shared_ptr<const TokenTrie> trie;
};

// shared/models/NAME.gguf's tokenizer and trie, loaded once per program.
const Vocab* vocab(const std::string& model) {
    static std::map<std::string, Vocab> cache;
    auto it = cache.find(model);
    if (it == cache.end()) {
        auto file = gguf::GgufFile::open(test::shared_path("models/" + model + ".gguf"));
        if (!file) {
            ADD_FAILURE() << model << ": " << file.error().message;
            return nullptr;
        }
        auto tok = Tokenizer::from_gguf(**file);
        if (!tok) {
            ADD_FAILURE() << model << ": " << tok.error().message;
            return nullptr;
        }
        Vocab v;
        v.tokenizer = std::move(tok).value();
        v.trie = std::make_shared<const TokenTrie>(TokenTrie::from_tokenizer(*v.tokenizer));
        it = cache.emplace(model, std::move(v)).first;
    }
    return &it->second;
}

TokenId single_token(const Tokenizer& tok, std::string_view text) {
    const auto ids = tok.encode(text, false, false);
    EXPECT_EQ(ids.size(), 1u) << text;
    return ids.empty() ? -1 : ids[0];
}

bool is_complete_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        const size_t n = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
        if (n == 0 || i + n > s.size()) return false;
        i += n;
    }
    return true;
}

TEST(GrammarMask, TrieHoldsEveryTextTokenOnce) {
    for (const std::string model : {"synth-qwen2-f16", "stories260K"}) {
        const Vocab* v = vocab(model);
        ASSERT_TRUE(v);
        const TokenTrie& trie = *v->trie;
        ASSERT_EQ(trie.n_vocab(), v->tokenizer->n_vocab());
        std::vector<int> seen(static_cast<size_t>(trie.n_vocab()), 0);
        for (const TokenId id : trie.tokens()) ++seen[static_cast<size_t>(id)];
        size_t text = 0;
        for (TokenId id = 0; id < trie.n_vocab(); ++id) {
            const bool is_text = trie.kind(id) == TokenTrie::Kind::kText;
            text += is_text;
            EXPECT_EQ(seen[static_cast<size_t>(id)], is_text ? 1 : 0) << id;
            EXPECT_EQ(trie.kind(id) == TokenTrie::Kind::kEndOfGen, v->tokenizer->is_eog(id)) << id;
            if (is_text) {
                EXPECT_EQ(trie.piece(id), v->tokenizer->token_to_piece(id)) << id;
                EXPECT_FALSE(v->tokenizer->is_control(id)) << id;
            }
        }
        EXPECT_GT(text, static_cast<size_t>(trie.n_vocab()) / 2) << model;
        EXPECT_FALSE(trie.end_of_generation().empty()) << model;
        // Each node is the first byte of one token or a shared prefix byte.
        EXPECT_LT(trie.nodes().size(), text * 16) << model;
    }
}

TEST(GrammarMask, SmallVocabularyWithDuplicatesPartialsAndSpecials) {
    using K = TokenTrie::Kind;
    //                      0    1    2     3       4           5       6   7    8
    std::vector<std::string> pieces = {"a", "a", "ab", "\xC3", "\xC3\xA9", "\xA9", "", "b", "<eos>"};
    std::vector<K> kinds = {K::kText, K::kText, K::kText, K::kText, K::kText, K::kText, K::kText, K::kNever,
                            K::kEndOfGen};
    auto trie = std::make_shared<const TokenTrie>(pieces, kinds);
    EXPECT_EQ(trie->kind(6), K::kNever);  // no bytes: never allowed
    const auto g = test::compile(R"(root ::= "a" "b"? | "é" [a-z]*)");
    ASSERT_TRUE(g);
    GrammarMatcher m(g, trie);
    std::vector<uint8_t> mask;
    EXPECT_EQ(m.allowed_tokens(mask), 5u);
    EXPECT_EQ(mask, (std::vector<uint8_t>{1, 1, 1, 1, 1, 0, 0, 0, 0}));
    ASSERT_TRUE(m.accept_token(3));  // half of é
    EXPECT_FALSE(m.accept_token(8));  // not while a character is half-read
    EXPECT_EQ(m.allowed_tokens(mask), 1u);
    EXPECT_EQ(mask, (std::vector<uint8_t>{0, 0, 0, 0, 0, 1, 0, 0, 0}));  // only the byte that ends é
    ASSERT_TRUE(m.accept_token(5));
    EXPECT_TRUE(m.can_end());
    EXPECT_EQ(m.allowed_tokens(mask), 4u);  // a, a, ab (letters) and the end
    EXPECT_EQ(mask, (std::vector<uint8_t>{1, 1, 1, 0, 0, 0, 0, 0, 1}));
    EXPECT_TRUE(m.accept_token(8));
    EXPECT_FALSE(m.accept_token(7));
    EXPECT_FALSE(m.accept_token(6));
    EXPECT_FALSE(m.accept_token(-1));
    EXPECT_FALSE(m.accept_token(9));
}

TEST(GrammarMask, JsonStartAllowsValuesAndForbidsLetters) {
    const Vocab* v = vocab("synth-qwen2-f16");
    ASSERT_TRUE(v);
    const auto g = test::compile(test::kJsonGrammar);
    ASSERT_TRUE(g);
    GrammarMatcher m(g, v->trie);
    std::vector<uint8_t> mask;
    const size_t allowed = m.allowed_tokens(mask);
    ASSERT_EQ(mask.size(), static_cast<size_t>(v->trie->n_vocab()));
    EXPECT_GT(allowed, 10u);
    EXPECT_LT(allowed, mask.size() / 10);
    const Tokenizer& tok = *v->tokenizer;
    for (const char* ok : {"{", "[", "\"", "true", "null", "0", "-", " {", "{\""}) {
        EXPECT_TRUE(mask[static_cast<size_t>(single_token(tok, ok))]) << ok;
    }
    for (const char* bad : {"x", "hello", "Hello", " hello", "}", ",", "'"}) {
        EXPECT_FALSE(mask[static_cast<size_t>(single_token(tok, bad))]) << bad;
    }
    for (const TokenId eog : v->trie->end_of_generation()) EXPECT_FALSE(mask[static_cast<size_t>(eog)]);

    // fill_mask agrees, and masks rows past the vocabulary.
    std::vector<float> logits(mask.size() + 3, 1.0f);
    EXPECT_EQ(m.fill_mask(logits), allowed);
    for (size_t i = 0; i < logits.size(); ++i) {
        const bool open = i < mask.size() && mask[i];
        EXPECT_EQ(std::isinf(logits[i]) && logits[i] < 0, !open) << i;
    }
}

// The trie walk against a per-token check over the whole vocabulary.
void expect_mask_is_exact(const std::string& model, std::string_view grammar, std::string_view prefix) {
    SCOPED_TRACE(model + " after \"" + std::string(prefix) + "\"");
    const Vocab* v = vocab(model);
    ASSERT_TRUE(v);
    const auto g = test::compile(grammar);
    ASSERT_TRUE(g);
    GrammarMatcher m(g, v->trie);
    ASSERT_TRUE(m.accept_bytes(prefix));
    std::vector<uint8_t> mask;
    const size_t allowed = m.allowed_tokens(mask);
    const TokenTrie& trie = *v->trie;
    size_t counted = 0, wrong = 0, partial = 0;
    std::vector<TokenId> allowed_text;
    for (TokenId id = 0; id < trie.n_vocab(); ++id) {
        bool expected = false;
        switch (trie.kind(id)) {
            case TokenTrie::Kind::kText: expected = m.can_accept_bytes(trie.piece(id)); break;
            case TokenTrie::Kind::kEndOfGen: expected = m.can_end(); break;
            case TokenTrie::Kind::kNever: expected = false; break;
        }
        counted += mask[static_cast<size_t>(id)];
        if (mask[static_cast<size_t>(id)] != expected && ++wrong <= 5) {
            ADD_FAILURE() << "token " << id << " '" << trie.piece(id) << "': mask " << int{mask[static_cast<size_t>(id)]}
                          << ", bytes accepted " << expected;
        }
        if (expected && trie.kind(id) == TokenTrie::Kind::kText) {
            allowed_text.push_back(id);
            partial += !is_complete_utf8(trie.piece(id));
        }
    }
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(counted, allowed);
    ASSERT_GT(allowed, 0u);

    // Accepting an allowed token leaves a matcher that can go on or end.
    std::mt19937 rng(7);
    for (int k = 0; k < 100; ++k) {
        const TokenId id = allowed_text[rng() % allowed_text.size()];
        GrammarMatcher after(g, v->trie);
        ASSERT_TRUE(after.accept_bytes(prefix));
        ASSERT_TRUE(after.accept_token(id)) << id;
        std::vector<uint8_t> next;
        EXPECT_TRUE(after.allowed_tokens(next) > 0 || after.can_end()) << id;
    }
    if (model == "synth-qwen2-f16" && prefix == "{\"") {
        EXPECT_GT(partial, 0u) << "tokens ending inside a character are allowed in a string";
    }
}

const std::vector<std::string_view> kJsonPrefixes = {
    "", "{", "{\"", "{\"ke", "{\"key\"", "{\"key\": ", "{\"key\": 12", "{\"key\": \"caf\xC3", "[1, tru",
    "{\"a\": [\"\\u00", "[\"\xE6\x97"};

TEST(GrammarMask, MaskIsExactOnByteLevelBpe) {
    for (const auto prefix : kJsonPrefixes) expect_mask_is_exact("synth-qwen2-f16", test::kJsonGrammar, prefix);
    expect_mask_is_exact("synth-qwen2-f16", R"(root ::= [α-ω]+ "!" | "日本" [^a-z]{2,3})", "");
    expect_mask_is_exact("synth-qwen2-f16", R"(root ::= [α-ω]+ "!" | "日本" [^a-z]{2,3})", "日本");
}

TEST(GrammarMask, MaskIsExactOnSentencePiece) {
    for (const auto prefix : kJsonPrefixes) expect_mask_is_exact("stories260K", test::kJsonGrammar, prefix);
    expect_mask_is_exact("stories260K", R"(root ::= "Once upon a time" [ a-z,.]* "." )", "Once up");
}

// Picks allowed tokens at random (fixed seed) for a while, then steers to a
// close: the end if allowed, else the first allowed of a quote (closes a
// string, or opens one that the next quote closes), a closing bracket, a
// colon, a zero; else a random allowed token.
std::string generate(const Vocab& v, const std::shared_ptr<const Grammar>& g, uint32_t seed, int wander) {
    GrammarMatcher m(g, v.trie);
    std::mt19937 rng(seed);
    std::string text;
    std::vector<uint8_t> mask;
    std::vector<TokenId> allowed;
    std::vector<TokenId> closers;
    for (const std::string_view c : {"\"", "}", "]", ":", "0"}) {
        for (TokenId id = 0; id < v.trie->n_vocab(); ++id) {
            if (v.trie->kind(id) == TokenTrie::Kind::kText && v.trie->piece(id) == c) {
                closers.push_back(id);
                break;
            }
        }
    }
    EXPECT_EQ(closers.size(), 5u);
    for (int step = 0; step < 1000; ++step) {
        m.allowed_tokens(mask);
        allowed.clear();
        for (TokenId id = 0; id < static_cast<TokenId>(mask.size()); ++id) {
            if (mask[static_cast<size_t>(id)]) allowed.push_back(id);
        }
        if (allowed.empty()) {
            ADD_FAILURE() << "no token allowed after: " << text;
            return text;
        }
        TokenId pick = allowed[rng() % allowed.size()];
        if (step >= wander) {
            if (m.can_end()) return text;
            for (const TokenId c : closers) {
                if (mask[static_cast<size_t>(c)]) {
                    pick = c;
                    break;
                }
            }
        }
        if (v.trie->kind(pick) == TokenTrie::Kind::kEndOfGen) {
            EXPECT_TRUE(m.can_end());
            return text;
        }
        EXPECT_TRUE(m.accept_token(pick)) << pick;
        text += v.trie->piece(pick);
    }
    ADD_FAILURE() << "generation did not end: " << text;
    return text;
}

TEST(GrammarMask, SampledObjectsWithAFixedKeyAreValid) {
    const auto g = test::compile(R"(
root   ::= "{" ws "\"name\"" ws ":" ws string ws "}"
string ::= "\"" ( [^"\\\x00-\x1F] | "\\" ["\\/bfnrt] )* "\""
ws     ::= [ \n]*
)");
    ASSERT_TRUE(g);
    for (const std::string model : {"synth-qwen2-f16", "stories260K"}) {
        const Vocab* v = vocab(model);
        ASSERT_TRUE(v);
        for (uint32_t seed = 1; seed <= 8; ++seed) {
            const std::string text = generate(*v, g, seed, 12);
            SCOPED_TRACE(model + " seed " + std::to_string(seed) + ": " + text);
            nlohmann::json doc;
            ASSERT_NO_THROW(doc = nlohmann::json::parse(text));
            ASSERT_TRUE(doc.is_object());
            EXPECT_EQ(doc.size(), 1u);
            EXPECT_TRUE(doc.at("name").is_string());
            EXPECT_TRUE(test::matches(g, text));
        }
    }
}

TEST(GrammarMask, SampledJsonParses) {
    const auto g = test::compile(test::kJsonGrammar);
    ASSERT_TRUE(g);
    for (const std::string model : {"synth-qwen2-f16", "stories260K"}) {
        const Vocab* v = vocab(model);
        ASSERT_TRUE(v);
        for (uint32_t seed = 1; seed <= 8; ++seed) {
            const std::string text = generate(*v, g, seed, 24);
            SCOPED_TRACE(model + " seed " + std::to_string(seed) + ": " + text);
            // Valid JSON; a number past a double's range is JSON too (the
            // parser then says out_of_range 406, not parse_error).
            try {
                const auto doc = nlohmann::json::parse(text);
                EXPECT_FALSE(doc.is_discarded());
            } catch (const nlohmann::json::out_of_range& e) {
                EXPECT_EQ(e.id, 406) << e.what();
            } catch (const std::exception& e) {
                ADD_FAILURE() << e.what();
            }
            EXPECT_TRUE(test::matches(g, text));
        }
    }
}

// For replies whose control tokens are shown (tool-call markers such as
// Mistral's [TOOL_CALLS]), a trie built with_control_text lets a grammar
// write them: each control token is its marker text, end-of-generation
// tokens still only end. (This Llama 3 vocabulary's <|start_header_id|>
// stands in for a marker.)
TEST(GrammarMask, ControlTokensAreTheirTextInATrieThatShowsThem) {
    auto file = gguf::GgufFile::open(test::shared_path("models/synth-llama3-q8_0.gguf"));
    ASSERT_TRUE(file) << file.error().message;
    auto tok = Tokenizer::from_gguf(**file);
    ASSERT_TRUE(tok) << tok.error().message;
    const auto ids = (*tok)->encode("<|start_header_id|>", false, true);
    ASSERT_EQ(ids.size(), 1u);
    const TokenId tag = ids[0];
    ASSERT_TRUE((*tok)->is_control(tag));
    const TokenTrie plain = TokenTrie::from_tokenizer(**tok);
    const TokenTrie shown = TokenTrie::from_tokenizer(**tok, true);
    EXPECT_EQ(plain.kind(tag), TokenTrie::Kind::kNever);
    EXPECT_EQ(shown.kind(tag), TokenTrie::Kind::kText);
    EXPECT_EQ(shown.piece(tag), "<|start_header_id|>");
    for (TokenId id = 0; id < (*tok)->n_vocab(); ++id) {
        if ((*tok)->is_eog(id)) {
            EXPECT_EQ(shown.kind(id), TokenTrie::Kind::kEndOfGen) << id;
        }
    }
    // A grammar that starts with the marker now has a token for it.
    auto grammar = Grammar::parse(R"(root ::= "<|start_header_id|>" [a-z]+)");
    ASSERT_TRUE(grammar.ok());
    GrammarMatcher matcher(std::make_shared<const Grammar>(std::move(grammar).value()),
                           std::make_shared<const TokenTrie>(TokenTrie::from_tokenizer(**tok, true)));
    EXPECT_TRUE(matcher.accept_token(tag));
}

}  // namespace
}  // namespace clawbot
