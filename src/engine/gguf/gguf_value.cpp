#include <cstring>
#include <limits>

#include "engine/gguf/gguf_file.h"

namespace clawbot::gguf {
namespace {

template <class T>
T load(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));  // array elements are packed, not aligned
    return v;
}

}  // namespace

std::string_view value_type_name(ValueType t) {
    switch (t) {
        case ValueType::UINT8: return "u8";
        case ValueType::INT8: return "i8";
        case ValueType::UINT16: return "u16";
        case ValueType::INT16: return "i16";
        case ValueType::UINT32: return "u32";
        case ValueType::INT32: return "i32";
        case ValueType::FLOAT32: return "f32";
        case ValueType::BOOL: return "bool";
        case ValueType::STRING: return "string";
        case ValueType::ARRAY: return "array";
        case ValueType::UINT64: return "u64";
        case ValueType::INT64: return "i64";
        case ValueType::FLOAT64: return "f64";
    }
    return "unknown";
}

// Non-integer element types and out-of-range indices give 0 rather than
// undefined behaviour: a float-to-int cast of NaN or 1e30 is UB.
int64_t ArrayValue::int_at(uint64_t i) const {
    if (i >= count || !data) return 0;
    switch (elem_type) {
        case ValueType::UINT8: case ValueType::BOOL: return data[i];
        case ValueType::INT8: return load<int8_t>(data + i);
        case ValueType::UINT16: return load<uint16_t>(data + 2 * i);
        case ValueType::INT16: return load<int16_t>(data + 2 * i);
        case ValueType::UINT32: return load<uint32_t>(data + 4 * i);
        case ValueType::INT32: return load<int32_t>(data + 4 * i);
        case ValueType::UINT64: return static_cast<int64_t>(load<uint64_t>(data + 8 * i));
        case ValueType::INT64: return load<int64_t>(data + 8 * i);
        default: return 0;
    }
}

double ArrayValue::float_at(uint64_t i) const {
    if (i >= count || !data) return 0;
    switch (elem_type) {
        case ValueType::FLOAT32: return load<float>(data + 4 * i);
        case ValueType::FLOAT64: return load<double>(data + 8 * i);
        case ValueType::UINT64: return static_cast<double>(load<uint64_t>(data + 8 * i));
        default: return static_cast<double>(int_at(i));
    }
}

std::optional<int64_t> MetaValue::as_int() const {
    switch (type) {
        case ValueType::UINT8: case ValueType::UINT16: case ValueType::UINT32: case ValueType::UINT64:
        case ValueType::BOOL:
            if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
            return static_cast<int64_t>(u);
        case ValueType::INT8: case ValueType::INT16: case ValueType::INT32: case ValueType::INT64:
            return i;
        default:
            return std::nullopt;
    }
}

std::optional<double> MetaValue::as_float() const {
    switch (type) {
        case ValueType::FLOAT32: case ValueType::FLOAT64: return f;
        case ValueType::UINT8: case ValueType::UINT16: case ValueType::UINT32: case ValueType::UINT64:
            return static_cast<double>(u);
        case ValueType::INT8: case ValueType::INT16: case ValueType::INT32: case ValueType::INT64:
            return static_cast<double>(i);
        default:
            return std::nullopt;
    }
}

}  // namespace clawbot::gguf
