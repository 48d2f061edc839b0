#pragma once
// Byte-level BPE vocabularies first cut text into words with a regex that
// belongs to the model (tokenizer.ggml.pre); merges never cross a word
// boundary. The regexes are hand-written matchers with the exact semantics
// llama.cpp gives them (its custom splitters, or std::regex over its
// category-collapsed text), so ids match the reference.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace clawbot {

enum class PreTokenizer {
    Default,      // llama.cpp's fallback for files without a name
    Gpt2,         // GPT-2 and the many vocabularies that copied it
    Llama3,       // Llama 3: digits in groups of up to three
    Qwen2,        // Llama 3's pattern with single digits
    Qwen35,       // Qwen2's pattern where combining marks join words
    Starcoder,    // single digits, then GPT-2
    Falcon,       // punctuation runs, GPT-2, then three-digit groups
    DeepseekLlm,  // DeepSeek LLM: script-specific letter and punctuation runs
    DeepseekCoder,  // DeepSeek Coder: newlines, letter runs, punctuation runs, CJK, single digits
};

struct PreTokenizerSpec {
    PreTokenizer kind = PreTokenizer::Default;
    bool ignore_merges = false;  // a word that is itself a token skips the merges
    bool add_bos = false;        // whether BOS is added when the file does not say
};

// The pre-tokenizer a tokenizer.ggml.pre name stands for, or nullopt for
// names this engine does not implement.
std::optional<PreTokenizerSpec> find_pre_tokenizer(std::string_view name);

// A word as a half-open range of codepoint indices.
struct WordSpan {
    size_t begin = 0;
    size_t end = 0;
};

// Cuts `cps` (the text's codepoints) into consecutive words covering it all.
std::vector<WordSpan> split_words(PreTokenizer kind, const std::vector<uint32_t>& cps);

}  // namespace clawbot
