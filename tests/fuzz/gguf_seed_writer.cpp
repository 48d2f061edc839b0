// Writes a few small valid GGUF files as the fuzzer's starting corpus, so
// that mutations begin from every section of a well-formed file.
#include <cstdio>
#include <string>
#include <vector>

#include "engine/gguf/gguf_writer.h"

namespace {

using clawbot::DType;
using clawbot::gguf::GgufWriter;

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
    std::vector<uint8_t> out(n);
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(seed + i * 37);
    return out;
}

GgufWriter model_seed() {
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.set_u32("llama.block_count", 1);
    w.set_u64("llama.context_length", 128);
    w.set_i32("llama.some_i32", -3);
    w.set_f32("llama.rope.freq_base", 10000.0f);
    w.set_bool("general.flag", true);
    w.set_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a", "b"});
    w.set_f32_array("tokenizer.ggml.scores", {0, 0, 0, -1.5f, -2.5f});
    w.set_i32_array("tokenizer.ggml.token_type", {2, 3, 3, 1, 1});
    w.add_tensor("token_embd.weight", DType::F32, {4, 5}, pattern(4 * 5 * 4, 1));
    w.add_tensor("blk.0.attn_norm.weight", DType::F16, {4}, pattern(8, 2));
    w.add_tensor("blk.0.attn_q.weight", DType::Q8_0, {32, 2}, pattern(34 * 2, 3));
    w.add_tensor("blk.0.ffn_up.weight", DType::Q4_0, {32, 1}, pattern(18, 4));
    w.add_tensor("blk.0.ffn_down.weight", DType::Q4_K, {256, 1}, pattern(144, 5));
    w.add_tensor("output.weight", DType::Q6_K, {256, 1},
                 [](uint8_t* dst, size_t n) { for (size_t i = 0; i < n; ++i) dst[i] = static_cast<uint8_t>(i); });
    return w;
}

GgufWriter vocab_seed() {
    GgufWriter w;
    w.set_string("tokenizer.ggml.model", "gpt2");
    w.set_string("tokenizer.ggml.pre", "llama-bpe");
    w.set_string_array("tokenizer.ggml.tokens", {"h", "e", "he", "\xc4\xa0", "\xe4\xbd\xa0"});
    w.set_string_array("tokenizer.ggml.merges", {"h e", "\xc4\xa0 he"});
    w.set_u32("tokenizer.ggml.bos_token_id", 0);
    return w;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    struct Seed {
        const char* name;
        GgufWriter writer;
        uint32_t alignment;
    };
    std::vector<Seed> seeds;
    seeds.push_back({"model-align32.gguf", model_seed(), 32});
    seeds.push_back({"model-align64.gguf", model_seed(), 64});
    seeds.push_back({"vocab.gguf", vocab_seed(), 32});
    seeds.push_back({"empty.gguf", GgufWriter{}, 32});
    for (const Seed& seed : seeds) {
        const auto written = seed.writer.write(dir + "/" + seed.name, seed.alignment);
        if (!written) {
            std::fprintf(stderr, "%s\n", written.error().message.c_str());
            return 1;
        }
    }
    return 0;
}
