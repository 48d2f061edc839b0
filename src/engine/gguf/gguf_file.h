#pragma once
// Read-only view of a GGUF file (versions 2 and 3). open() maps the file and
// validates every count, length, offset, alignment and tensor extent against
// the file size before anything else may look at it; a malformed file yields
// a one-line Error naming the problem. All views point into the mapping and
// stay valid as long as the GgufFile lives.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "engine/tensor/dtype.h"

namespace clawbot::gguf {

enum class ValueType : uint32_t {
    UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5,
    FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};

std::string_view value_type_name(ValueType t);

// An array value. Numeric and bool elements are little-endian and contiguous
// at `data`; string elements are listed in `strings`; nested arrays are
// validated and skipped (count kept, no contents).
struct ArrayValue {
    ValueType elem_type = ValueType::UINT8;
    uint64_t count = 0;
    const uint8_t* data = nullptr;             // numeric/bool elements
    std::vector<std::string_view> strings;     // STRING elements

    // Element i converted; callers check elem_type first. i < count.
    int64_t int_at(uint64_t i) const;
    double float_at(uint64_t i) const;
};

struct MetaValue {
    ValueType type = ValueType::UINT8;
    uint64_t u = 0;     // unsigned integers and bool
    int64_t i = 0;      // signed integers
    double f = 0;       // floats
    std::string_view str;
    ArrayValue arr;

    // Any integer type (or bool) as int64 / uint64; nullopt for others.
    std::optional<int64_t> as_int() const;
    // Any numeric type as double.
    std::optional<double> as_float() const;
};

struct TensorInfo {
    std::string_view name;
    uint32_t n_dims = 0;
    std::array<uint64_t, 4> ne{1, 1, 1, 1};  // ne[0] is the contiguous (row) dimension
    DType type = DType::F32;
    uint64_t offset = 0;   // relative to the data section
    uint64_t n_bytes = 0;
    const uint8_t* data = nullptr;

    uint64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

class GgufFile {
public:
    // Maps and validates the file at `path`.
    static Result<std::unique_ptr<GgufFile>> open(const std::string& path);
    // Validates a buffer the caller keeps alive (used by tests and the fuzzer).
    static Result<std::unique_ptr<GgufFile>> parse(const uint8_t* data, size_t size);

    ~GgufFile();
    GgufFile(const GgufFile&) = delete;
    GgufFile& operator=(const GgufFile&) = delete;

    uint32_t version() const { return version_; }
    size_t alignment() const { return alignment_; }
    size_t file_size() const { return size_; }

    const std::vector<std::pair<std::string_view, MetaValue>>& metadata() const { return kv_; }
    const MetaValue* find(std::string_view key) const;
    std::optional<int64_t> get_int(std::string_view key) const;
    std::optional<double> get_float(std::string_view key) const;
    std::optional<std::string_view> get_string(std::string_view key) const;
    std::optional<bool> get_bool(std::string_view key) const;
    const ArrayValue* get_array(std::string_view key) const;

    const std::vector<TensorInfo>& tensors() const { return tensors_; }
    const TensorInfo* tensor(std::string_view name) const;

    // Drops the mapped pages wholly inside [begin, begin + bytes) from this
    // process's resident memory; they stay in the page cache and fault back
    // in if read again. For data copied elsewhere (packed weights). No-op
    // for a parse()d buffer, which the caller owns.
    void release_pages(const uint8_t* begin, size_t bytes) const;

private:
    GgufFile() = default;
    class Parser;

    const uint8_t* base_ = nullptr;
    size_t size_ = 0;
    void* mapping_ = nullptr;  // owned mmap region, or null for parse()
    uint32_t version_ = 0;
    size_t alignment_ = 32;
    std::vector<std::pair<std::string_view, MetaValue>> kv_;
    std::unordered_map<std::string_view, size_t> kv_index_;
    std::vector<TensorInfo> tensors_;
    std::unordered_map<std::string_view, size_t> tensor_index_;
};

}  // namespace clawbot::gguf
