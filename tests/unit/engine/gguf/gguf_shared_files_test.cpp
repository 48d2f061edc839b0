// The reader on every real GGUF file in ../shared: each opens, its tensors
// lie where llama.cpp's layout puts them, and its metadata agrees with
// what shared/README.md says the file is.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/gguf/gguf_file.h"
#include "support/test_support.h"

namespace clawbot::gguf {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> gguf_files_in(const std::string& subdir) {
    std::vector<std::string> paths;
    for (const auto& entry : fs::directory_iterator(test::shared_path(subdir))) {
        if (entry.path().extension() == ".gguf") paths.push_back(entry.path().string());
    }
    std::sort(paths.begin(), paths.end());
    return paths;
}

std::unique_ptr<GgufFile> open_shared(const std::string& relative) {
    Result<std::unique_ptr<GgufFile>> file = GgufFile::open(test::shared_path(relative));
    EXPECT_TRUE(file.ok()) << file.error().message;
    return file.ok() ? std::move(file).value() : nullptr;
}

uint64_t align_up(uint64_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

void expect_llama_cpp_layout(const GgufFile& f) {
    std::vector<const TensorInfo*> by_offset;
    for (const TensorInfo& t : f.tensors()) {
        SCOPED_TRACE(std::string(t.name));
        ASSERT_NE(t.data, nullptr);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % f.alignment(), 0u) << "mapping is page aligned";
        uint64_t rows = 1;
        for (uint32_t d = 1; d < t.n_dims; ++d) rows *= t.ne[d];
        EXPECT_EQ(t.n_bytes, row_bytes(t.type, static_cast<int64_t>(t.ne[0])) * rows);
        EXPECT_LE(t.offset + t.n_bytes, f.file_size());
        for (uint32_t d = t.n_dims; d < 4; ++d) EXPECT_EQ(t.ne[d], 1u);
        by_offset.push_back(&t);
    }
    // Tensors follow each other with padding only: any mistake in a type's
    // block size would shift every later offset.
    std::sort(by_offset.begin(), by_offset.end(),
              [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < by_offset.size(); ++i) {
        EXPECT_EQ(by_offset[i]->offset, align_up(by_offset[i - 1]->offset + by_offset[i - 1]->n_bytes, f.alignment()))
            << by_offset[i]->name;
    }
}

void expect_consistent_vocabulary(const GgufFile& f) {
    const ArrayValue* tokens = f.get_array("tokenizer.ggml.tokens");
    ASSERT_NE(tokens, nullptr);
    EXPECT_EQ(tokens->elem_type, ValueType::STRING);
    EXPECT_GT(tokens->count, 0u);
    EXPECT_EQ(tokens->strings.size(), tokens->count);
    for (const char* parallel : {"tokenizer.ggml.token_type", "tokenizer.ggml.scores"}) {
        if (const ArrayValue* a = f.get_array(parallel)) {
            EXPECT_EQ(a->count, tokens->count) << parallel;
        }
    }
    if (const ArrayValue* merges = f.get_array("tokenizer.ggml.merges")) {
        ASSERT_EQ(merges->elem_type, ValueType::STRING);
        for (std::string_view m : merges->strings) ASSERT_NE(m.find(' '), std::string_view::npos) << m;
    }
    const std::optional<int64_t> bos = f.get_int("tokenizer.ggml.bos_token_id");
    if (bos) {
        EXPECT_LT(static_cast<uint64_t>(*bos), tokens->count);
    }
}

TEST(GgufSharedFiles, EveryModelOpensWithAConsistentLayout) {
    const std::vector<std::string> models = gguf_files_in("models");
    ASSERT_GE(models.size(), 7u);
    for (const std::string& path : models) {
        SCOPED_TRACE(path);
        const auto file = GgufFile::open(path);
        ASSERT_TRUE(file.ok()) << file.error().message;
        const GgufFile& f = **file;
        EXPECT_TRUE(f.version() == 2 || f.version() == 3);
        EXPECT_EQ(f.file_size(), fs::file_size(path));
        ASSERT_FALSE(f.tensors().empty());
        expect_llama_cpp_layout(f);
        expect_consistent_vocabulary(f);

        const std::optional<std::string_view> arch = f.get_string("general.architecture");
        ASSERT_TRUE(arch.has_value());
        const std::string prefix(*arch);
        const std::optional<int64_t> dim = f.get_int(prefix + ".embedding_length");
        const std::optional<int64_t> layers = f.get_int(prefix + ".block_count");
        ASSERT_TRUE(dim && layers);
        const TensorInfo* embd = f.tensor("token_embd.weight");
        ASSERT_NE(embd, nullptr);
        EXPECT_EQ(embd->ne[0], static_cast<uint64_t>(*dim));
        EXPECT_EQ(embd->ne[1], f.get_array("tokenizer.ggml.tokens")->count);
        // Every layer has its query projection, on its own or fused with K
        // and V (phi3's attn_qkv), and there is no layer past block_count.
        const auto has_query = [&](int64_t layer) {
            const std::string blk = "blk." + std::to_string(layer);
            return f.tensor(blk + ".attn_q.weight") != nullptr || f.tensor(blk + ".attn_qkv.weight") != nullptr;
        };
        for (int64_t layer = 0; layer < *layers; ++layer) EXPECT_TRUE(has_query(layer)) << layer;
        EXPECT_FALSE(has_query(*layers));
    }
}

TEST(GgufSharedFiles, EveryVocabularyOpens) {
    const std::vector<std::string> vocabs = gguf_files_in("vocab");
    ASSERT_GE(vocabs.size(), 9u);
    for (const std::string& path : vocabs) {
        SCOPED_TRACE(path);
        const auto file = GgufFile::open(path);
        ASSERT_TRUE(file.ok()) << file.error().message;
        EXPECT_TRUE((*file)->tensors().empty());
        expect_consistent_vocabulary(**file);
        EXPECT_TRUE((*file)->get_string("tokenizer.ggml.model").has_value());
    }
}

// Facts stated in shared/README.md.
TEST(GgufSharedFiles, MetadataMatchesTheReadme) {
    const auto stories = open_shared("models/stories260K.gguf");
    ASSERT_NE(stories, nullptr);
    EXPECT_EQ(stories->get_string("general.architecture"), "llama");
    EXPECT_EQ(stories->get_string("tokenizer.ggml.model"), "llama");
    EXPECT_EQ(stories->get_array("tokenizer.ggml.tokens")->count, 512u);
    uint64_t parameters = 0;
    for (const TensorInfo& t : stories->tensors()) {
        EXPECT_EQ(t.type, DType::F32) << t.name;
        parameters += t.n_elements();
        // Misplaced data would show up as garbage bit patterns, NaN among them.
        std::vector<float> values(t.n_elements());
        std::memcpy(values.data(), t.data, t.n_bytes);
        EXPECT_TRUE(std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v) && std::fabs(v) < 100; }))
            << t.name;
    }
    EXPECT_GT(parameters, 200000u);
    EXPECT_LT(parameters, 320000u);

    const auto llama3 = open_shared("models/synth-llama3-q8_0.gguf");
    ASSERT_NE(llama3, nullptr);
    EXPECT_EQ(llama3->get_array("tokenizer.ggml.tokens")->count, 128256u);
    EXPECT_EQ(llama3->get_string("tokenizer.ggml.pre"), "llama-bpe");
    EXPECT_EQ(llama3->get_int("llama.embedding_length"), 64);
    EXPECT_EQ(llama3->get_int("llama.attention.head_count"), 4);
    EXPECT_EQ(llama3->get_int("llama.attention.head_count_kv"), 2);
    EXPECT_EQ(llama3->get_float("llama.rope.freq_base"), 500000.0);
    EXPECT_EQ(llama3->tensor("output.weight"), nullptr) << "embeddings are tied";
    EXPECT_EQ(llama3->tensor("blk.0.attn_q.weight")->type, DType::Q8_0);

    const auto qwen2 = open_shared("models/synth-qwen2-f16.gguf");
    ASSERT_NE(qwen2, nullptr);
    EXPECT_EQ(qwen2->get_string("general.architecture"), "qwen2");
    EXPECT_EQ(qwen2->get_array("tokenizer.ggml.tokens")->count, 151936u);
    EXPECT_EQ(qwen2->get_float("qwen2.rope.freq_base"), 1e6);
    EXPECT_TRUE(qwen2->get_string("tokenizer.chat_template").has_value());
    EXPECT_NE(qwen2->tensor("blk.0.attn_q.bias"), nullptr);
    EXPECT_EQ(qwen2->tensor("blk.0.attn_q.weight")->type, DType::F16);

    const std::map<std::string, std::set<DType>> spm_matrix_types = {
        {"q4_0", {DType::Q4_0}}, {"q4_k_m", {DType::Q4_K, DType::Q6_K}},
        {"q6_k", {DType::Q6_K}}, {"q8_0", {DType::Q8_0}}};
    for (const auto& [quant, expected] : spm_matrix_types) {
        SCOPED_TRACE(quant);
        const auto spm = open_shared("models/synth-spm-" + quant + ".gguf");
        ASSERT_NE(spm, nullptr);
        EXPECT_EQ(spm->get_array("tokenizer.ggml.tokens")->count, 32000u);
        EXPECT_EQ(spm->get_int("llama.embedding_length"), 256);
        EXPECT_EQ(spm->get_int("llama.block_count"), 2);
        EXPECT_EQ(spm->get_int("llama.attention.head_count"), 8);
        EXPECT_EQ(spm->get_int("llama.attention.head_count_kv"), 4);
        EXPECT_EQ(spm->get_int("llama.feed_forward_length"), 768);
        EXPECT_NE(spm->tensor("output.weight"), nullptr) << "output is untied";
        std::set<DType> seen;
        for (const TensorInfo& t : spm->tensors()) {
            if (t.n_dims == 2 && t.name.starts_with("blk.")) seen.insert(t.type);
        }
        EXPECT_EQ(seen, expected);
    }
}

}  // namespace
}  // namespace clawbot::gguf
