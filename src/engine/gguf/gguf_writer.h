#pragma once
// Writes GGUF v3 files: metadata of every value type and tensors laid out at
// the chosen alignment. Used by `clawbot quantize`, the random-model tool and
// tests that craft files.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/gguf/gguf_file.h"

namespace clawbot::gguf {

class GgufWriter {
public:
    void set_u32(std::string key, uint32_t v);
    void set_i32(std::string key, int32_t v);
    void set_u64(std::string key, uint64_t v);
    void set_f32(std::string key, float v);
    void set_bool(std::string key, bool v);
    void set_string(std::string key, std::string v);
    void set_string_array(std::string key, std::vector<std::string> v);
    void set_i32_array(std::string key, std::vector<int32_t> v);
    void set_f32_array(std::string key, std::vector<float> v);
    // Copies a metadata value (any type, including arrays) from a file being read.
    void copy_value(std::string key, const MetaValue& v);

    // ne[0] is the row length; `data` must hold exactly row_bytes(type, ne0) * rows bytes.
    void add_tensor(std::string name, DType type, std::vector<uint64_t> ne, std::vector<uint8_t> data);
    // Streams a tensor: `fill` is called at write time with a buffer of the
    // tensor's size, so multi-GB models are never held in memory at once.
    using Fill = std::function<void(uint8_t* dst, size_t n_bytes)>;
    void add_tensor(std::string name, DType type, std::vector<uint64_t> ne, Fill fill);

    Result<bool> write(const std::string& path, uint32_t alignment = 32) const;

private:
    struct Entry {
        std::string key;
        ValueType type;
        std::vector<uint8_t> payload;  // serialized value without key and type
    };
    struct Tensor {
        std::string name;
        DType type;
        std::vector<uint64_t> ne;
        Fill fill;
    };
    void set_raw(std::string key, ValueType type, std::vector<uint8_t> payload);
    std::vector<Entry> entries_;
    std::vector<Tensor> tensors_;
};

}  // namespace clawbot::gguf
