// The GGUF reader against hand-built byte streams: valid layouts parse to
// the right views, and every kind of malformed input is rejected with a
// message that names the problem.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "gguf_bytes_builder.h"
#include "support/test_support.h"

namespace clawbot::gguf {
namespace {

constexpr uint64_t k2Pow62 = uint64_t{1} << 62;
constexpr uint64_t k2Pow63 = uint64_t{1} << 63;

Result<std::unique_ptr<GgufFile>> parse(const std::vector<uint8_t>& bytes) {
    return GgufFile::parse(bytes.data(), bytes.size());
}

void expect_rejected(const Bytes& bytes, std::string_view phrase) {
    const auto file = parse(bytes.data);
    ASSERT_FALSE(file.ok()) << "expected rejection mentioning: " << phrase;
    const std::string& message = file.error().message;
    EXPECT_NE(message.find(phrase), std::string::npos) << "message: " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "message is not one line: " << message;
}

// One F32 tensor of 8 elements behind one u32 key; tweaks build bad variants.
Bytes one_tensor_file(std::vector<uint64_t> ne = {8}, uint32_t type = 0, uint64_t offset = 0, size_t data_bytes = 32) {
    Bytes b;
    b.header(1, 1).kv_u32("general.quantization_version", 2).tensor("t", std::move(ne), type, offset);
    return b.pad_to(32).zeros(data_bytes);
}

TEST(GgufReader, ParsesHandBuiltFileIntoViews) {
    Bytes b;
    b.header(2, 3)
        .str("general.name").u32(uint32_t(ValueType::STRING)).str("tiny")
        .str("tokenizer.ggml.tokens").u32(uint32_t(ValueType::ARRAY)).u32(uint32_t(ValueType::STRING)).u64(3)
        .str("a").str("").str("\xe4\xbd\xa0")
        .str("scores").u32(uint32_t(ValueType::ARRAY)).u32(uint32_t(ValueType::INT16)).u64(2).put<int16_t>(-7).put<int16_t>(300)
        .tensor("w", {32, 2}, uint32_t(DType::Q8_0), 0)
        .tensor("bias", {3}, uint32_t(DType::F32), 96);
    b.pad_to(32);
    const size_t data_start = b.data.size();
    for (int i = 0; i < 96 + 12; ++i) b.u8(static_cast<uint8_t>(i));

    const auto file = parse(b.data);
    ASSERT_TRUE(file.ok()) << file.error().message;
    const GgufFile& f = **file;
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.alignment(), 32u);
    EXPECT_EQ(f.get_string("general.name"), "tiny");
    const ArrayValue* tokens = f.get_array("tokenizer.ggml.tokens");
    ASSERT_NE(tokens, nullptr);
    ASSERT_EQ(tokens->count, 3u);
    EXPECT_EQ(tokens->strings[0], "a");
    EXPECT_EQ(tokens->strings[1], "");
    EXPECT_EQ(tokens->strings[2], "\xe4\xbd\xa0");
    const ArrayValue* scores = f.get_array("scores");
    ASSERT_NE(scores, nullptr);
    EXPECT_EQ(scores->int_at(0), -7);
    EXPECT_EQ(scores->int_at(1), 300);
    EXPECT_EQ(scores->float_at(1), 300.0);

    ASSERT_EQ(f.tensors().size(), 2u);
    const TensorInfo* w = f.tensor("w");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->n_dims, 2u);
    EXPECT_EQ(w->ne[0], 32u);
    EXPECT_EQ(w->ne[1], 2u);
    EXPECT_EQ(w->n_elements(), 64u);
    EXPECT_EQ(w->type, DType::Q8_0);
    EXPECT_EQ(w->n_bytes, 2u * 34u);
    EXPECT_EQ(w->data, b.data.data() + data_start);
    const TensorInfo* bias = f.tensor("bias");
    ASSERT_NE(bias, nullptr);
    EXPECT_EQ(bias->n_bytes, 12u);
    EXPECT_EQ(bias->data, b.data.data() + data_start + 96);
    EXPECT_EQ(bias->data[0], 96);
    EXPECT_EQ(f.tensor("missing"), nullptr);
}

TEST(GgufReader, AcceptsVersion2AndCustomAlignment) {
    Bytes b;
    b.header(1, 1, 2).kv_u32("general.alignment", 64).tensor("t", {4}, 0, 64);
    b.pad_to(64).zeros(64 + 16);
    const auto file = parse(b.data);
    ASSERT_TRUE(file.ok()) << file.error().message;
    EXPECT_EQ((*file)->version(), 2u);
    EXPECT_EQ((*file)->alignment(), 64u);
    EXPECT_EQ((*file)->tensors()[0].data, b.data.data() + b.data.size() - 16);
}

TEST(GgufReader, AcceptsEmptyTensorAndVocabOnlyFile) {
    Bytes empty_tensor = one_tensor_file({0, 5}, 0, 0, 0);
    const auto file = parse(empty_tensor.data);
    ASSERT_TRUE(file.ok()) << file.error().message;
    EXPECT_EQ((*file)->tensors()[0].n_bytes, 0u);

    Bytes vocab_only;
    vocab_only.header(0, 1).kv_u32("x", 1);  // no data section, no padding
    EXPECT_TRUE(parse(vocab_only.data).ok());
}

TEST(GgufReader, KeepsNestedArrayCountWithoutContents) {
    Bytes b;
    b.header(0, 1).str("nested").u32(uint32_t(ValueType::ARRAY)).u32(uint32_t(ValueType::ARRAY)).u64(2);
    b.u32(uint32_t(ValueType::UINT8)).u64(3).u8(1).u8(2).u8(3);
    b.u32(uint32_t(ValueType::STRING)).u64(1).str("x");
    const auto file = parse(b.data);
    ASSERT_TRUE(file.ok()) << file.error().message;
    const ArrayValue* a = (*file)->get_array("nested");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->elem_type, ValueType::ARRAY);
    EXPECT_EQ(a->count, 2u);
}

TEST(GgufReader, TypedGettersConvertOnlyWhereMeaningful) {
    Bytes b;
    b.header(0, 6)
        .str("u64").u32(uint32_t(ValueType::UINT64)).u64(k2Pow63)
        .str("i8").u32(uint32_t(ValueType::INT8)).put<int8_t>(-5)
        .str("f64").u32(uint32_t(ValueType::FLOAT64)).put<double>(0.25)
        .str("flag").u32(uint32_t(ValueType::BOOL)).u8(1)
        .str("u16").u32(uint32_t(ValueType::UINT16)).put<uint16_t>(65535)
        .str("s").u32(uint32_t(ValueType::STRING)).str("text");
    const auto file = parse(b.data);
    ASSERT_TRUE(file.ok()) << file.error().message;
    const GgufFile& f = **file;
    EXPECT_EQ(f.get_int("u64"), std::nullopt) << "2^63 does not fit in int64";
    EXPECT_EQ(f.get_float("u64"), 9223372036854775808.0);
    EXPECT_EQ(f.get_int("i8"), -5);
    EXPECT_EQ(f.get_float("i8"), -5.0);
    EXPECT_EQ(f.get_float("f64"), 0.25);
    EXPECT_EQ(f.get_int("f64"), std::nullopt);
    EXPECT_EQ(f.get_bool("flag"), true);
    EXPECT_EQ(f.get_int("u16"), 65535);
    EXPECT_EQ(f.get_bool("u16"), std::nullopt);
    EXPECT_EQ(f.get_string("s"), "text");
    EXPECT_EQ(f.get_string("u16"), std::nullopt);
    EXPECT_EQ(f.get_array("s"), nullptr);
    EXPECT_EQ(f.get_int("absent"), std::nullopt);
}

TEST(GgufReader, RejectsBadMagicAndVersions) {
    expect_rejected(Bytes{}.raw("GGUF"), "file truncated in header");
    expect_rejected(Bytes{}, "file truncated in header");
    expect_rejected(Bytes{}.raw("GGML").u32(3).u64(0).u64(0), "not a GGUF file");
    expect_rejected(Bytes{}.header(0, 0, 1), "unsupported GGUF version 1");
    expect_rejected(Bytes{}.header(0, 0, 4), "unsupported GGUF version 4");
    expect_rejected(Bytes{}.header(0, 0, 0x03000000), "big-endian");
    expect_rejected(Bytes{}.raw("GGUF").u32(3).u64(0), "file truncated in header");
}

TEST(GgufReader, RejectsCountsTheFileCannotHold) {
    expect_rejected(Bytes{}.header(0, k2Pow62).zeros(64), "metadata count 4611686018427387904");
    expect_rejected(Bytes{}.header(k2Pow62, 0).zeros(64), "tensor count 4611686018427387904");
    expect_rejected(Bytes{}.header(3, 0).zeros(64), "tensor count 3");
}

TEST(GgufReader, RejectsTruncatedMetadata) {
    // Key: declared 40 bytes, 20 present.
    expect_rejected(Bytes{}.header(0, 1).u64(40).zeros(20), "key of metadata entry 0");
    // Scalar value cut in half.
    expect_rejected(Bytes{}.header(0, 1).str("general.some_key").u32(uint32_t(ValueType::UINT64)).u32(7),
                    "file truncated in value of metadata 'general.some_key'");
    // String value longer than what is left.
    expect_rejected(Bytes{}.header(0, 1).str("general.name").u32(uint32_t(ValueType::STRING)).u64(100).zeros(10),
                    "string length 100 in value of metadata 'general.name'");
    // Array header cut.
    expect_rejected(Bytes{}.header(0, 1).str("tokenizer.ggml.tokens").u32(uint32_t(ValueType::ARRAY)).u32(8),
                    "file truncated in value of metadata 'tokenizer.ggml.tokens'");
    // Third string element cut.
    expect_rejected(Bytes{}.header(0, 1).str("tokenizer.ggml.tokens").u32(uint32_t(ValueType::ARRAY))
                        .u32(uint32_t(ValueType::STRING)).u64(3).str("a").str("bb").u64(5).raw("xy"),
                    "element 2 of array 'tokenizer.ggml.tokens'");
    // Numeric elements cut.
    expect_rejected(Bytes{}.header(0, 1).str("scores").u32(uint32_t(ValueType::ARRAY))
                        .u32(uint32_t(ValueType::FLOAT32)).u64(100).zeros(8),
                    "array count 100 in 'scores'");
}

TEST(GgufReader, RejectsHugeLengthsBeforeAllocating) {
    expect_rejected(Bytes{}.header(0, 1).u64(k2Pow63).zeros(20), "string length 9223372036854775808");
    expect_rejected(Bytes{}.header(0, 1).str("a").u32(uint32_t(ValueType::ARRAY)).u32(uint32_t(ValueType::UINT8))
                        .u64(k2Pow62).zeros(16),
                    "array count 4611686018427387904");
    expect_rejected(Bytes{}.header(0, 1).str("a").u32(uint32_t(ValueType::ARRAY)).u32(uint32_t(ValueType::STRING))
                        .u64(k2Pow62).zeros(64),
                    "array count 4611686018427387904");
    expect_rejected(Bytes{}.header(0, 1).str("a").u32(uint32_t(ValueType::STRING)).u64(~uint64_t{0}).zeros(8),
                    "string length 18446744073709551615");
}

TEST(GgufReader, RejectsBadValueTypesAndDeepNesting) {
    expect_rejected(Bytes{}.header(0, 1).str("k").u32(13).u64(0), "metadata 'k' has unknown value type 13");
    expect_rejected(Bytes{}.header(0, 1).str("k").u32(uint32_t(ValueType::ARRAY)).u32(99).u64(0),
                    "array 'k' has unknown element type 99");
    Bytes deep;
    deep.header(0, 1).str("deep").u32(uint32_t(ValueType::ARRAY));
    for (int i = 0; i < 6; ++i) deep.u32(uint32_t(ValueType::ARRAY)).u64(1);
    deep.u32(uint32_t(ValueType::UINT8)).u64(0);
    expect_rejected(deep, "nests arrays deeper than");
}

TEST(GgufReader, RejectsDuplicatesAndEscapesNamesInMessages) {
    expect_rejected(Bytes{}.header(0, 2).kv_u32("general.x", 1).kv_u32("general.x", 2),
                    "duplicate metadata key 'general.x'");
    expect_rejected(Bytes{}.header(0, 2).kv_u32("a\nb", 1).kv_u32("a\nb", 2), "duplicate metadata key 'a\\x0ab'");
    Bytes b;
    b.header(2, 0).tensor("blk.0.attn_q.weight", {8}, 0, 0).tensor("blk.0.attn_q.weight", {8}, 0, 32);
    b.pad_to(32).zeros(64);
    expect_rejected(b, "duplicate tensor name 'blk.0.attn_q.weight'");
}

TEST(GgufReader, RejectsBadAlignment) {
    const auto with_alignment = [](uint32_t alignment) {
        Bytes b;
        b.header(0, 1).kv_u32("general.alignment", alignment);
        return b;
    };
    expect_rejected(with_alignment(0), "alignment 0 is not a power of two");
    expect_rejected(with_alignment(3), "alignment 3 is not a power of two");
    expect_rejected(with_alignment(0x80000000u), "alignment 2147483648 exceeds");
    expect_rejected(Bytes{}.header(0, 1).str("general.alignment").u32(uint32_t(ValueType::STRING)).str("32"),
                    "general.alignment has type string");
}

TEST(GgufReader, RejectsBadTensorShapes) {
    expect_rejected(one_tensor_file({8, 1, 1, 1, 1}), "tensor 't' has 5 dimensions");
    expect_rejected(one_tensor_file({}), "tensor 't' has 0 dimensions");
    expect_rejected(one_tensor_file({uint64_t{1} << 32, uint64_t{1} << 32}), "product of its dimensions overflows");
    expect_rejected(one_tensor_file({0, uint64_t{1} << 40, uint64_t{1} << 40, uint64_t{1} << 40}),
                    "product of its dimensions overflows");
    expect_rejected(one_tensor_file({k2Pow63}), "tensor 't' dimension 0 is negative");
    expect_rejected(one_tensor_file({8}, 99), "tensor 't' has unknown type id 99");
    expect_rejected(one_tensor_file({8}, 4), "tensor 't' has unknown type id 4");
    expect_rejected(one_tensor_file({33}, uint32_t(DType::Q4_0)), "row length 33 is not a multiple of the q4_0 block size 32");
    expect_rejected(one_tensor_file({uint64_t{1} << 62}, 0), "byte size overflows");
}

TEST(GgufReader, RejectsTensorsOutsideTheDataSection) {
    expect_rejected(one_tensor_file({8}, 0, 1024), "tensor 't' extends past end of file (offset 1024 + 32 bytes > data section of 32 bytes)");
    expect_rejected(one_tensor_file({8}, 0, 0, 16), "tensor 't' extends past end of file");
    expect_rejected(one_tensor_file({8}, 0, 8), "tensor 't' offset 8 is not a multiple of the alignment 32");
    expect_rejected(one_tensor_file({8}, 0, ~uint64_t{0} - 31), "extends past end of file");

    Bytes no_data;
    no_data.header(1, 0).tensor("blk.0.attn_q.weight.with.a.long.name", {8}, 0, 0);
    expect_rejected(no_data, "file truncated before the data section");
}

TEST(GgufReader, RejectsTruncatedTensorInfo) {
    Bytes b;
    b.header(1, 0).str("blk.0.attn_q.weight.with.a.long.name").u32(2).u64(8);
    expect_rejected(b, "file truncated in info of tensor 0 ('blk.0.attn_q.weight.with.a.long.name')");
}

// A file whose last tensor ends exactly at end of file (no trailing
// padding), so that every shorter prefix is invalid.
std::vector<uint8_t> small_valid_file() {
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.set_u32("llama.block_count", 2);
    w.set_f32("llama.rope.freq_base", 10000.0f);
    w.set_bool("flag", true);
    w.set_string_array("tokenizer.ggml.tokens", {"<s>", "", "hello"});
    w.set_i32_array("tokenizer.ggml.token_type", {3, 1, 1});
    std::vector<uint8_t> a(4 * 8 * 4);
    std::vector<uint8_t> q(34 * 16);  // 544 bytes = 17 * 32: no padding after it
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i * 7);
    for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<uint8_t>(i * 13);
    w.add_tensor("a", DType::F32, {8, 4}, a);
    w.add_tensor("q", DType::Q8_0, {32, 16}, q);
    const std::string dir = test::make_temp_dir();
    const Result<bool> written = w.write(dir + "/small.gguf");
    EXPECT_TRUE(written.ok()) << written.error().message;
    const std::string bytes = written.ok() ? test::read_file(dir + "/small.gguf") : "";
    std::filesystem::remove_all(dir);
    return {bytes.begin(), bytes.end()};
}

TEST(GgufReader, EveryPrefixOfAValidFileFailsCleanly) {
    const std::vector<uint8_t> full = small_valid_file();
    ASSERT_TRUE(parse(full).ok());
    for (size_t n = 0; n < full.size(); ++n) {
        // An exactly sized copy, so ASan catches any read past the prefix.
        const std::vector<uint8_t> prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
        const auto file = parse(prefix);
        ASSERT_FALSE(file.ok()) << "a prefix of " << n << " of " << full.size() << " bytes parsed";
        EXPECT_FALSE(file.error().message.empty());
        EXPECT_EQ(file.error().message.find('\n'), std::string::npos);
    }
}

TEST(GgufReader, OpenReportsPathAndProblem) {
    const std::string dir = test::make_temp_dir();
    const auto missing = GgufFile::open(dir + "/missing.gguf");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find(dir + "/missing.gguf"), std::string::npos) << missing.error().message;

    const auto directory = GgufFile::open(dir);
    ASSERT_FALSE(directory.ok());
    EXPECT_NE(directory.error().message.find("not a regular file"), std::string::npos) << directory.error().message;

    const std::string empty = dir + "/empty.gguf";
    { std::FILE* f = std::fopen(empty.c_str(), "wb"); ASSERT_NE(f, nullptr); std::fclose(f); }
    const auto empty_file = GgufFile::open(empty);
    ASSERT_FALSE(empty_file.ok());
    EXPECT_NE(empty_file.error().message.find("file truncated in header"), std::string::npos);
    EXPECT_NE(empty_file.error().message.find(empty), std::string::npos);

    const std::string bad = dir + "/bad.gguf";
    const Bytes past_end = one_tensor_file({8}, 0, 1024);
    { std::FILE* f = std::fopen(bad.c_str(), "wb"); ASSERT_NE(f, nullptr);
      std::fwrite(past_end.data.data(), 1, past_end.data.size(), f); std::fclose(f); }
    const auto bad_file = GgufFile::open(bad);
    ASSERT_FALSE(bad_file.ok());
    EXPECT_EQ(bad_file.error().message.rfind("tensor 't' extends past end of file", 0), 0u) << bad_file.error().message;
    EXPECT_NE(bad_file.error().message.find(bad), std::string::npos);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace clawbot::gguf
