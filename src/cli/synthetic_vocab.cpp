#include "cli/synthetic_vocab.h"

#include <cstdio>
#include <string>
#include <vector>

namespace clawbot::cli {

void write_synthetic_vocab(gguf::GgufWriter& out, int n_vocab) {
    std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
    std::vector<int32_t> types = {2, 3, 3};
    for (int b = 0; b < 256 && static_cast<int>(tokens.size()) < n_vocab; ++b) {
        char piece[8];
        std::snprintf(piece, sizeof piece, "<0x%02X>", b);
        tokens.emplace_back(piece);
        types.push_back(6);
    }
    // Pieces of 1, 2 and 3 letters, each also with the word-start marker
    // U+2581, so every longer piece is reachable by merging shorter ones.
    const std::string marker = "\xE2\x96\x81";
    std::vector<std::string> words;
    for (char a = 'a'; a <= 'z'; ++a) words.emplace_back(1, a);
    const size_t singles = words.size();
    for (size_t i = 0; i < singles; ++i)
        for (char b = 'a'; b <= 'z'; ++b) words.push_back(words[i] + b);
    const size_t doubles = words.size();
    for (size_t i = singles; i < doubles; ++i)
        for (char c = 'a'; c <= 'z'; ++c) words.push_back(words[i] + c);
    tokens.push_back(marker);
    types.push_back(1);
    for (const std::string& w : words) {
        for (const std::string& piece : {marker + w, w}) {
            if (static_cast<int>(tokens.size()) >= n_vocab) break;
            tokens.push_back(piece);
            types.push_back(1);
        }
    }
    while (static_cast<int>(tokens.size()) < n_vocab) {  // only for vocabularies beyond ~37k
        tokens.push_back("<unused" + std::to_string(tokens.size()) + ">");
        types.push_back(5);
    }
    tokens.resize(static_cast<size_t>(n_vocab));
    types.resize(static_cast<size_t>(n_vocab));
    std::vector<float> scores(tokens.size());
    for (size_t i = 0; i < scores.size(); ++i) scores[i] = -static_cast<float>(i);
    out.set_string("tokenizer.ggml.model", "llama");
    out.set_string("tokenizer.ggml.pre", "default");
    out.set_string_array("tokenizer.ggml.tokens", std::move(tokens));
    out.set_f32_array("tokenizer.ggml.scores", std::move(scores));
    out.set_i32_array("tokenizer.ggml.token_type", std::move(types));
    out.set_u32("tokenizer.ggml.unknown_token_id", 0);
    out.set_u32("tokenizer.ggml.bos_token_id", 1);
    out.set_u32("tokenizer.ggml.eos_token_id", 2);
    out.set_bool("tokenizer.ggml.add_bos_token", true);
    out.set_bool("tokenizer.ggml.add_eos_token", false);
}

}  // namespace clawbot::cli
