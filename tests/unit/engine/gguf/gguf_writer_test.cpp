// GgufWriter: what it writes reads back equal through GgufFile, for every
// value type and for real models copied key by key and tensor by tensor;
// what it cannot write is reported as an Error.
#include <bit>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "gguf_bytes_builder.h"
#include "support/test_support.h"

namespace clawbot::gguf {
namespace {

namespace fs = std::filesystem;

class TempDir {
public:
    TempDir() : path_(test::make_temp_dir()) {}
    ~TempDir() { fs::remove_all(path_); }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

std::unique_ptr<GgufFile> write_and_open(const GgufWriter& w, const std::string& path, uint32_t alignment = 32) {
    const Result<bool> written = w.write(path, alignment);
    EXPECT_TRUE(written.ok()) << written.error().message;
    Result<std::unique_ptr<GgufFile>> file = GgufFile::open(path);
    EXPECT_TRUE(file.ok()) << file.error().message;
    return file.ok() ? std::move(file).value() : nullptr;
}

std::string write_error(const GgufWriter& w, const std::string& path, uint32_t alignment = 32) {
    const Result<bool> written = w.write(path, alignment);
    return written.ok() ? "" : written.error().message;
}

std::vector<uint8_t> bytes_of(size_t n, uint8_t seed) {
    std::vector<uint8_t> out(n);
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(seed + i * 31);
    return out;
}

void expect_same_value(const MetaValue& a, const MetaValue& b, std::string_view key) {
    SCOPED_TRACE(std::string(key));
    ASSERT_EQ(a.type, b.type);
    EXPECT_EQ(a.u, b.u);
    EXPECT_EQ(a.i, b.i);
    EXPECT_EQ(std::memcmp(&a.f, &b.f, sizeof(double)), 0) << a.f << " vs " << b.f;
    EXPECT_EQ(a.str, b.str);
    ASSERT_EQ(a.arr.elem_type, b.arr.elem_type);
    ASSERT_EQ(a.arr.count, b.arr.count);
    EXPECT_EQ(a.arr.strings, b.arr.strings);
    if (a.type == ValueType::ARRAY && a.arr.elem_type != ValueType::STRING) {
        for (uint64_t i = 0; i < a.arr.count; ++i) {
            EXPECT_EQ(a.arr.int_at(i), b.arr.int_at(i)) << "element " << i;
            // Bit patterns, so that NaN elements compare equal.
            EXPECT_EQ(std::bit_cast<uint64_t>(a.arr.float_at(i)), std::bit_cast<uint64_t>(b.arr.float_at(i)))
                << "element " << i;
        }
    }
}

// Copies every key and tensor of `src` into a writer, tensors streamed
// straight from the source mapping.
GgufWriter copy_of(const GgufFile& src) {
    GgufWriter w;
    for (const auto& [key, value] : src.metadata()) w.copy_value(std::string(key), value);
    for (const TensorInfo& t : src.tensors()) {
        std::vector<uint64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
        const uint8_t* data = t.data;
        w.add_tensor(std::string(t.name), t.type, ne, [data](uint8_t* dst, size_t n) { std::memcpy(dst, data, n); });
    }
    return w;
}

void expect_same_file(const GgufFile& a, const GgufFile& b) {
    ASSERT_EQ(a.metadata().size(), b.metadata().size());
    for (size_t i = 0; i < a.metadata().size(); ++i) {
        EXPECT_EQ(a.metadata()[i].first, b.metadata()[i].first);
        expect_same_value(a.metadata()[i].second, b.metadata()[i].second, a.metadata()[i].first);
    }
    ASSERT_EQ(a.tensors().size(), b.tensors().size());
    for (size_t i = 0; i < a.tensors().size(); ++i) {
        const TensorInfo& x = a.tensors()[i];
        const TensorInfo& y = b.tensors()[i];
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.type, y.type);
        EXPECT_EQ(x.n_dims, y.n_dims);
        EXPECT_EQ(x.ne, y.ne);
        ASSERT_EQ(x.n_bytes, y.n_bytes);
        EXPECT_EQ(std::memcmp(x.data, y.data, x.n_bytes), 0) << "data of " << x.name;
    }
}

TEST(GgufWriter, SettersReadBackThroughTheTypedGetters) {
    TempDir dir;
    GgufWriter w;
    w.set_u32("u32", 4000000000u);
    w.set_i32("i32", -123456);
    w.set_u64("u64", 0xfedcba9876543210ull);
    w.set_f32("f32", 1.5e-5f);
    w.set_bool("yes", true);
    w.set_bool("no", false);
    w.set_string("name", std::string("with\0nul and \xe4\xbd\xa0", 17));
    w.set_string_array("tokens", {"<s>", "", "\xf0\x9f\x98\x80", " spaced "});
    w.set_i32_array("types", {1, -2, 2147483647});
    w.set_f32_array("scores", {-1.25f, 0.0f, 3.5f});
    w.set_i32_array("empty", {});
    const auto f = write_and_open(w, dir.file("setters.gguf"));
    ASSERT_NE(f, nullptr);

    EXPECT_EQ(f->version(), 3u);
    EXPECT_EQ(f->metadata().size(), 11u);
    EXPECT_EQ(f->get_int("u32"), 4000000000);
    EXPECT_EQ(f->find("u32")->type, ValueType::UINT32);
    EXPECT_EQ(f->get_int("i32"), -123456);
    EXPECT_EQ(f->find("u64")->u, 0xfedcba9876543210ull);
    EXPECT_EQ(f->get_float("f32"), static_cast<double>(1.5e-5f));
    EXPECT_EQ(f->get_bool("yes"), true);
    EXPECT_EQ(f->get_bool("no"), false);
    EXPECT_EQ(f->get_string("name"), std::string_view("with\0nul and \xe4\xbd\xa0", 17));
    const ArrayValue* tokens = f->get_array("tokens");
    ASSERT_NE(tokens, nullptr);
    EXPECT_EQ(tokens->strings, (std::vector<std::string_view>{"<s>", "", "\xf0\x9f\x98\x80", " spaced "}));
    const ArrayValue* types = f->get_array("types");
    ASSERT_NE(types, nullptr);
    ASSERT_EQ(types->elem_type, ValueType::INT32);
    ASSERT_EQ(types->count, 3u);
    EXPECT_EQ(types->int_at(1), -2);
    EXPECT_EQ(types->int_at(2), 2147483647);
    const ArrayValue* scores = f->get_array("scores");
    ASSERT_NE(scores, nullptr);
    EXPECT_EQ(scores->float_at(0), -1.25);
    EXPECT_EQ(scores->float_at(2), 3.5);
    EXPECT_EQ(f->get_array("empty")->count, 0u);
}

TEST(GgufWriter, SettingAKeyTwiceReplacesIt) {
    TempDir dir;
    GgufWriter w;
    w.set_u32("general.file_type", 1);
    w.set_string("general.name", "x");
    w.set_u32("general.file_type", 7);
    const auto f = write_and_open(w, dir.file("twice.gguf"));
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(f->metadata().size(), 2u);
    EXPECT_EQ(f->metadata()[0].first, "general.file_type");
    EXPECT_EQ(f->get_int("general.file_type"), 7);
}

TEST(GgufWriter, CopyValueRoundTripsEveryValueType) {
    // A source file holding each of the 13 value types, and arrays of each
    // element type, written byte by byte.
    Bytes b;
    b.header(0, 24);
    b.str("u8").u32(uint32_t(ValueType::UINT8)).u8(200);
    b.str("i8").u32(uint32_t(ValueType::INT8)).put<int8_t>(-100);
    b.str("u16").u32(uint32_t(ValueType::UINT16)).put<uint16_t>(60000);
    b.str("i16").u32(uint32_t(ValueType::INT16)).put<int16_t>(-30000);
    b.str("u32").u32(uint32_t(ValueType::UINT32)).u32(4000000000u);
    b.str("i32").u32(uint32_t(ValueType::INT32)).put<int32_t>(-2000000000);
    b.str("f32").u32(uint32_t(ValueType::FLOAT32)).put<float>(-0.0f);
    b.str("bool").u32(uint32_t(ValueType::BOOL)).u8(1);
    b.str("string").u32(uint32_t(ValueType::STRING)).str("copied \xc3\xa9");
    b.str("u64").u32(uint32_t(ValueType::UINT64)).u64(~uint64_t{0});
    b.str("i64").u32(uint32_t(ValueType::INT64)).put<int64_t>(INT64_MIN);
    b.str("f64").u32(uint32_t(ValueType::FLOAT64)).put<double>(6.02214076e23);
    const auto array_of = [&b](const char* key, ValueType t, std::vector<uint8_t> elems, uint64_t count) {
        b.str(key).u32(uint32_t(ValueType::ARRAY)).u32(uint32_t(t)).u64(count);
        b.data.insert(b.data.end(), elems.begin(), elems.end());
    };
    array_of("a.u8", ValueType::UINT8, {1, 2, 255}, 3);
    array_of("a.i8", ValueType::INT8, {0x80, 0x7f}, 2);
    array_of("a.u16", ValueType::UINT16, {1, 0, 0xff, 0xff}, 2);
    array_of("a.i16", ValueType::INT16, {0x00, 0x80}, 1);
    array_of("a.u32", ValueType::UINT32, bytes_of(12, 5), 3);
    array_of("a.i32", ValueType::INT32, bytes_of(8, 9), 2);
    array_of("a.f32", ValueType::FLOAT32, {0, 0, 0x80, 0x3f, 0, 0, 0xc0, 0x7f}, 2);  // 1.0, NaN
    array_of("a.bool", ValueType::BOOL, {0, 1, 1}, 3);
    array_of("a.u64", ValueType::UINT64, bytes_of(16, 77), 2);
    array_of("a.i64", ValueType::INT64, bytes_of(8, 3), 1);
    array_of("a.f64", ValueType::FLOAT64, bytes_of(8, 100), 1);
    b.str("a.string").u32(uint32_t(ValueType::ARRAY)).u32(uint32_t(ValueType::STRING)).u64(3).str("x").str("").str("yz");

    const auto src = GgufFile::parse(b.data.data(), b.data.size());
    ASSERT_TRUE(src.ok()) << src.error().message;
    ASSERT_EQ((*src)->metadata().size(), 24u);

    TempDir dir;
    const auto copy = write_and_open(copy_of(**src), dir.file("copy.gguf"));
    ASSERT_NE(copy, nullptr);
    expect_same_file(**src, *copy);
    // The file bytes themselves match what was hand-written (plus nothing:
    // no tensors means no data section).
    EXPECT_EQ(test::read_file(dir.file("copy.gguf")), std::string(b.data.begin(), b.data.end()));
}

TEST(GgufWriter, CopiesRealModelsExactly) {
    TempDir dir;
    for (const std::string name : {"models/stories260K.gguf", "vocab/ggml-vocab-llama-spm.gguf"}) {
        SCOPED_TRACE(name);
        const auto src = GgufFile::open(test::shared_path(name));
        ASSERT_TRUE(src.ok()) << src.error().message;
        const std::string out = dir.file("copy.gguf");
        const auto copy = write_and_open(copy_of(**src), out);
        ASSERT_NE(copy, nullptr);
        expect_same_file(**src, *copy);
        // llama.cpp's writer lays files out the same way (v3, aligned, every
        // tensor padded), so the copy is byte for byte the original.
        EXPECT_TRUE(test::read_file(out) == test::read_file(test::shared_path(name)));
    }
}

TEST(GgufWriter, LaysOutTensorsAtTheRequestedAlignment) {
    TempDir dir;
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    const std::vector<uint8_t> a = bytes_of(4 * 10, 1);   // F32 [10]: 40 bytes, padded to 64
    const std::vector<uint8_t> q = bytes_of(18 * 3, 2);   // Q4_0 [32, 3]: 54 bytes, padded to 64
    w.add_tensor("a", DType::F32, {10}, a);
    w.add_tensor("q", DType::Q4_0, {32, 3}, q);
    const auto f = write_and_open(w, dir.file("aligned.gguf"), 64);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->alignment(), 64u);
    EXPECT_EQ(f->get_int("general.alignment"), 64);
    ASSERT_EQ(f->tensors().size(), 2u);
    const TensorInfo& ta = f->tensors()[0];
    const TensorInfo& tq = f->tensors()[1];
    EXPECT_EQ(ta.offset, 0u);
    EXPECT_EQ(tq.offset, 64u);
    EXPECT_EQ(tq.ne[0], 32u);
    EXPECT_EQ(tq.ne[1], 3u);
    EXPECT_EQ(std::memcmp(ta.data, a.data(), a.size()), 0);
    EXPECT_EQ(std::memcmp(tq.data, q.data(), q.size()), 0);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(ta.data) % 64, 0u);
    // Every tensor, the last included, is padded with zeros to the alignment.
    const std::string bytes = test::read_file(dir.file("aligned.gguf"));
    ASSERT_EQ(bytes.size() % 64, 0u);
    const std::string expected_data = std::string(a.begin(), a.end()) + std::string(24, '\0') +
                                      std::string(q.begin(), q.end()) + std::string(10, '\0');
    EXPECT_TRUE(bytes.substr(bytes.size() - 128) == expected_data);
}

TEST(GgufWriter, StatedAlignmentAlwaysMatchesTheLayout) {
    TempDir dir;
    GgufWriter w;
    w.set_u32("general.alignment", 64);  // e.g. copied from another file
    w.add_tensor("t", DType::F32, {8}, bytes_of(32, 0));
    const auto f = write_and_open(w, dir.file("restated.gguf"), 32);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->alignment(), 32u);
    EXPECT_EQ(f->get_int("general.alignment"), 32);
}

TEST(GgufWriter, StreamsTensorsAtWriteTime) {
    TempDir dir;
    GgufWriter w;
    int calls = 0;
    size_t seen_bytes = 0;
    w.add_tensor("big", DType::Q8_0, {64, 5}, [&](uint8_t* dst, size_t n) {
        ++calls;
        seen_bytes = n;
        for (size_t i = 0; i < n; ++i) dst[i] = static_cast<uint8_t>(i % 251);
    });
    EXPECT_EQ(calls, 0) << "fill must not run before write()";
    const auto f = write_and_open(w, dir.file("streamed.gguf"));
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(seen_bytes, 2u * 34u * 5u);
    const TensorInfo* t = f->tensor("big");
    ASSERT_NE(t, nullptr);
    ASSERT_EQ(t->n_bytes, seen_bytes);
    for (size_t i = 0; i < t->n_bytes; ++i) ASSERT_EQ(t->data[i], i % 251) << "byte " << i;
}

TEST(GgufWriter, ReplacesAnExistingFile) {
    TempDir dir;
    const std::string path = dir.file("model.gguf");
    GgufWriter first;
    first.set_string("general.name", "first");
    ASSERT_TRUE(first.write(path).ok());
    GgufWriter second;
    second.set_string("general.name", "second");
    const auto f = write_and_open(second, path);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->get_string("general.name"), "second");
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator{}), 1)
        << "no temporary file is left beside the model";
}

TEST(GgufWriter, ReportsWhatItCannotWrite) {
    TempDir dir;
    const std::string path = dir.file("bad.gguf");
    {
        GgufWriter w;
        w.add_tensor("short", DType::F32, {8}, bytes_of(31, 0));
        EXPECT_NE(write_error(w, path).find("tensor 'short' has no data of the expected 32 bytes"), std::string::npos);
    }
    {
        GgufWriter w;
        w.add_tensor("odd", DType::Q4_0, {33}, bytes_of(18, 0));
        EXPECT_NE(write_error(w, path).find("tensor 'odd' has an invalid type or shape"), std::string::npos);
    }
    {
        GgufWriter w;
        w.add_tensor("five", DType::F32, {1, 1, 1, 1, 1}, bytes_of(4, 0));
        EXPECT_NE(write_error(w, path).find("tensor 'five' has an invalid type or shape"), std::string::npos);
    }
    {
        GgufWriter w;
        w.add_tensor("twin", DType::F32, {1}, bytes_of(4, 0));
        w.add_tensor("twin", DType::F32, {1}, bytes_of(4, 1));
        EXPECT_NE(write_error(w, path).find("duplicate tensor name 'twin'"), std::string::npos);
    }
    {
        GgufWriter w;
        w.add_tensor("empty_fill", DType::F32, {1}, GgufWriter::Fill{});
        EXPECT_NE(write_error(w, path).find("tensor 'empty_fill' has no data"), std::string::npos);
    }
    {
        GgufWriter w;
        w.add_tensor(std::string(64, 'n'), DType::F32, {1}, bytes_of(4, 0));
        EXPECT_NE(write_error(w, path).find("is longer than llama.cpp accepts (63 bytes)"), std::string::npos);
        GgufWriter ok;
        ok.add_tensor(std::string(63, 'n'), DType::F32, {1}, bytes_of(4, 0));
        EXPECT_EQ(write_error(ok, path), "");
        fs::remove(path);
    }
    for (uint32_t alignment : {0u, 3u, 0x80000000u}) {
        GgufWriter w;
        EXPECT_NE(write_error(w, path, alignment).find("alignment " + std::to_string(alignment)), std::string::npos);
    }
    {
        Bytes nested;
        nested.header(0, 1).str("nested").u32(uint32_t(ValueType::ARRAY)).u32(uint32_t(ValueType::ARRAY)).u64(1);
        nested.u32(uint32_t(ValueType::UINT8)).u64(1).u8(7);
        const auto src = GgufFile::parse(nested.data.data(), nested.data.size());
        ASSERT_TRUE(src.ok()) << src.error().message;
        GgufWriter w;
        w.copy_value("nested", *(*src)->find("nested"));
        EXPECT_NE(write_error(w, path).find("cannot write metadata 'nested'"), std::string::npos);
    }
    EXPECT_FALSE(fs::exists(path));
    EXPECT_TRUE(fs::is_empty(dir.path())) << "failed writes leave nothing behind";

    GgufWriter w;
    const std::string unreachable = dir.file("no/such/dir/model.gguf");
    const std::string error = write_error(w, unreachable);
    EXPECT_NE(error.find(unreachable), std::string::npos) << error;
}

}  // namespace
}  // namespace clawbot::gguf
