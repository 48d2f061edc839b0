// Collecting what GgufWriter will write: metadata payloads and tensor
// descriptions. The file itself is laid out in gguf_write_file.cpp.
#include <cstring>
#include <memory>
#include <utility>

#include "engine/gguf/gguf_encode.h"
#include "engine/gguf/gguf_format.h"
#include "engine/gguf/gguf_writer.h"

namespace clawbot::gguf {
namespace {

std::vector<uint8_t> array_header(ValueType elem_type, uint64_t count) {
    std::vector<uint8_t> out;
    append_le(out, static_cast<uint32_t>(elem_type));
    append_le(out, count);
    return out;
}

template <class T>
std::vector<uint8_t> scalar_payload(T value) {
    std::vector<uint8_t> out;
    append_le(out, value);
    return out;
}

std::vector<uint8_t> scalar_payload_of(const MetaValue& v) {
    switch (v.type) {
        case ValueType::UINT8: case ValueType::BOOL: return scalar_payload(static_cast<uint8_t>(v.u));
        case ValueType::UINT16: return scalar_payload(static_cast<uint16_t>(v.u));
        case ValueType::UINT32: return scalar_payload(static_cast<uint32_t>(v.u));
        case ValueType::UINT64: return scalar_payload(v.u);
        case ValueType::INT8: return scalar_payload(static_cast<int8_t>(v.i));
        case ValueType::INT16: return scalar_payload(static_cast<int16_t>(v.i));
        case ValueType::INT32: return scalar_payload(static_cast<int32_t>(v.i));
        case ValueType::INT64: return scalar_payload(v.i);
        case ValueType::FLOAT32: return scalar_payload(static_cast<float>(v.f));
        case ValueType::FLOAT64: return scalar_payload(v.f);
        case ValueType::STRING: case ValueType::ARRAY: break;
    }
    return {};
}

// An empty payload marks an ARRAY entry that could not be copied (the reader
// keeps no contents for nested arrays); write() reports it.
std::vector<uint8_t> array_payload_of(const ArrayValue& a) {
    std::vector<uint8_t> out = array_header(a.elem_type, a.count);
    if (a.elem_type == ValueType::STRING) {
        if (a.strings.size() != a.count) return {};
        for (std::string_view s : a.strings) append_string(out, s);
        return out;
    }
    if (a.elem_type == ValueType::ARRAY) return a.count == 0 ? out : std::vector<uint8_t>{};
    if (a.count > 0 && !a.data) return {};
    append_bytes(out, a.data, static_cast<size_t>(a.count * scalar_bytes(a.elem_type)));
    return out;
}

}  // namespace

void GgufWriter::set_raw(std::string key, ValueType type, std::vector<uint8_t> payload) {
    // Setting a key twice replaces it: a file may not hold duplicate keys.
    for (Entry& e : entries_) {
        if (e.key == key) {
            e.type = type;
            e.payload = std::move(payload);
            return;
        }
    }
    entries_.push_back(Entry{std::move(key), type, std::move(payload)});
}

void GgufWriter::set_u32(std::string key, uint32_t v) { set_raw(std::move(key), ValueType::UINT32, scalar_payload(v)); }
void GgufWriter::set_i32(std::string key, int32_t v) { set_raw(std::move(key), ValueType::INT32, scalar_payload(v)); }
void GgufWriter::set_u64(std::string key, uint64_t v) { set_raw(std::move(key), ValueType::UINT64, scalar_payload(v)); }
void GgufWriter::set_f32(std::string key, float v) { set_raw(std::move(key), ValueType::FLOAT32, scalar_payload(v)); }

void GgufWriter::set_bool(std::string key, bool v) {
    set_raw(std::move(key), ValueType::BOOL, scalar_payload(static_cast<uint8_t>(v ? 1 : 0)));
}

void GgufWriter::set_string(std::string key, std::string v) {
    std::vector<uint8_t> payload;
    append_string(payload, v);
    set_raw(std::move(key), ValueType::STRING, std::move(payload));
}

void GgufWriter::set_string_array(std::string key, std::vector<std::string> v) {
    std::vector<uint8_t> payload = array_header(ValueType::STRING, v.size());
    for (const std::string& s : v) append_string(payload, s);
    set_raw(std::move(key), ValueType::ARRAY, std::move(payload));
}

void GgufWriter::set_i32_array(std::string key, std::vector<int32_t> v) {
    std::vector<uint8_t> payload = array_header(ValueType::INT32, v.size());
    append_bytes(payload, v.data(), v.size() * sizeof(int32_t));
    set_raw(std::move(key), ValueType::ARRAY, std::move(payload));
}

void GgufWriter::set_f32_array(std::string key, std::vector<float> v) {
    std::vector<uint8_t> payload = array_header(ValueType::FLOAT32, v.size());
    append_bytes(payload, v.data(), v.size() * sizeof(float));
    set_raw(std::move(key), ValueType::ARRAY, std::move(payload));
}

void GgufWriter::copy_value(std::string key, const MetaValue& v) {
    switch (v.type) {
        case ValueType::STRING: {
            std::vector<uint8_t> payload;
            append_string(payload, v.str);
            set_raw(std::move(key), v.type, std::move(payload));
            return;
        }
        case ValueType::ARRAY: set_raw(std::move(key), v.type, array_payload_of(v.arr)); return;
        default: set_raw(std::move(key), v.type, scalar_payload_of(v)); return;
    }
}

void GgufWriter::add_tensor(std::string name, DType type, std::vector<uint64_t> ne, std::vector<uint8_t> data) {
    Fill fill;
    // A buffer of the wrong size leaves the fill empty; write() reports it.
    const std::optional<uint64_t> expected = tensor_bytes(type, ne);
    if (expected && *expected == data.size()) {
        auto shared = std::make_shared<const std::vector<uint8_t>>(std::move(data));
        fill = [shared](uint8_t* dst, size_t n) { std::memcpy(dst, shared->data(), n); };
    }
    tensors_.push_back(Tensor{std::move(name), type, std::move(ne), std::move(fill)});
}

void GgufWriter::add_tensor(std::string name, DType type, std::vector<uint64_t> ne, Fill fill) {
    tensors_.push_back(Tensor{std::move(name), type, std::move(ne), std::move(fill)});
}

}  // namespace clawbot::gguf
