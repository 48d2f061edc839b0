#pragma once
// Test helper for the tokenizer tests: loads the shared vocabularies once per
// test program and reads llama.cpp's vocabulary test files.
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/tokenizer.h"
#include "support/test_support.h"

namespace clawbot::test {

inline std::string vocab_path(const std::string& name) {
    return shared_path("vocab/ggml-vocab-" + name + ".gguf");
}

inline Result<std::unique_ptr<Tokenizer>> load_tokenizer_file(const std::string& path) {
    auto file = gguf::GgufFile::open(path);
    if (!file) return file.error();
    return Tokenizer::from_gguf(**file);
}

// The tokenizer of shared/vocab/ggml-vocab-NAME.gguf, loaded on first use;
// a load failure fails the calling test and yields nullptr.
inline const Tokenizer* vocab_tokenizer(const std::string& name) {
    static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
    auto it = cache.find(name);
    if (it == cache.end()) {
        auto loaded = load_tokenizer_file(vocab_path(name));
        if (!loaded) {
            ADD_FAILURE() << name << ": " << loaded.error().message;
            return nullptr;
        }
        it = cache.emplace(name, std::move(loaded).value()).first;
    }
    return it->second.get();
}

// NAME.gguf.inp holds test strings, each followed by a line
// "__ggml_vocab_test__"; a string's own trailing newlines belong to it except
// the one that starts the separator line. Some files end their last string
// at the end of the file instead (gemma-4's).
inline std::vector<std::string> read_vocab_inputs(const std::string& path) {
    const std::string text = read_file(path);
    const std::string separator = "\n__ggml_vocab_test__\n";
    std::vector<std::string> inputs;
    size_t start = 0;
    for (size_t at = text.find(separator); at != std::string::npos; at = text.find(separator, start)) {
        inputs.push_back(text.substr(start, at - start));
        start = at + separator.size();
    }
    if (start < text.size()) inputs.push_back(text.substr(start));
    return inputs;
}

// NAME.gguf.out: one line of space-separated ids per input string.
inline std::vector<std::vector<TokenId>> read_vocab_outputs(const std::string& path) {
    std::istringstream lines(read_file(path));
    std::vector<std::vector<TokenId>> outputs;
    for (std::string line; std::getline(lines, line);) {
        std::istringstream ids(line);
        std::vector<TokenId>& row = outputs.emplace_back();
        for (TokenId id; ids >> id;) row.push_back(id);
    }
    return outputs;
}

// Every vocabulary in shared/vocab, and the pre-tokenizer it names.
inline const std::vector<std::string>& all_vocab_names() {
    static const std::vector<std::string> names = {"llama-spm",    "llama-bpe", "qwen2",  "gpt-2",          "phi-3",
                                                   "falcon",       "starcoder", "deepseek-llm", "qwen35",   "mpt",
                                                   "command-r",    "deepseek-coder", "gemma-4"};
    return names;
}

}  // namespace clawbot::test
