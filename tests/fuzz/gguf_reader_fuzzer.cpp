// libFuzzer target for the GGUF reader: any input must either be rejected
// with a message or yield views that can all be read without leaving the
// input (ASan turns any stray read into a crash).
#include <cstddef>
#include <cstdint>

#include "engine/gguf/gguf_file.h"

namespace {

using clawbot::gguf::ArrayValue;
using clawbot::gguf::GgufFile;
using clawbot::gguf::MetaValue;
using clawbot::gguf::TensorInfo;
using clawbot::gguf::ValueType;

uint64_t sum_bytes(std::string_view s) {
    uint64_t sum = 0;
    for (char c : s) sum += static_cast<unsigned char>(c);
    return sum;
}

uint64_t touch_array(const ArrayValue& a) {
    uint64_t sum = a.count;
    for (std::string_view s : a.strings) sum += sum_bytes(s);
    if (a.elem_type != ValueType::STRING && a.elem_type != ValueType::ARRAY) {
        // Bounded by the input size: the reader checked count * element size.
        for (uint64_t i = 0; i < a.count; ++i) {
            sum += static_cast<uint64_t>(a.int_at(i));
            sum += a.float_at(i) > 0 ? 1 : 0;
        }
    }
    return sum;
}

uint64_t touch_value(const GgufFile& file, std::string_view key, const MetaValue& v) {
    uint64_t sum = sum_bytes(key) + sum_bytes(v.str) + touch_array(v.arr);
    sum += static_cast<uint64_t>(v.as_int().value_or(0));
    sum += v.as_float().value_or(0) > 0 ? 1 : 0;
    sum += file.find(key) == &v ? 1 : 0;
    sum += static_cast<uint64_t>(file.get_int(key).value_or(0));
    sum += file.get_bool(key).value_or(false) ? 1 : 0;
    sum += sum_bytes(file.get_string(key).value_or(""));
    sum += file.get_array(key) ? 1 : 0;
    return sum;
}

uint64_t touch_tensor(const GgufFile& file, const TensorInfo& t) {
    uint64_t sum = sum_bytes(t.name) + t.n_elements() + t.offset;
    if (t.n_bytes > 0) sum += t.data[0] + t.data[t.n_bytes - 1];
    sum += file.tensor(t.name) == &t ? 1 : 0;
    return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto file = GgufFile::parse(data, size);
    volatile uint64_t sink = 0;
    if (!file) {
        sink = sink + file.error().message.size();
        return 0;
    }
    const GgufFile& f = **file;
    uint64_t sum = f.version() + f.alignment();
    for (const auto& [key, value] : f.metadata()) sum += touch_value(f, key, value);
    for (const TensorInfo& t : f.tensors()) sum += touch_tensor(f, t);
    sink = sink + sum;
    return 0;
}
