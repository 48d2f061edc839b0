#pragma once
// Test helper for the gguf tests: builds GGUF byte streams field by field,
// including malformed ones the writer would never produce.
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "engine/gguf/gguf_file.h"

namespace clawbot::gguf {

// Little-endian byte stream builder for crafting files the writer would
// never produce.
struct Bytes {
    std::vector<uint8_t> data;

    template <class T>
    Bytes& put(T v) {
        const size_t at = data.size();
        data.resize(at + sizeof(T));
        std::memcpy(data.data() + at, &v, sizeof(T));
        return *this;
    }
    Bytes& u8(uint8_t v) { return put(v); }
    Bytes& u32(uint32_t v) { return put(v); }
    Bytes& u64(uint64_t v) { return put(v); }
    Bytes& raw(std::string_view s) {
        // resize + memcpy rather than insert: gcc 12 at -O3 warns falsely
        // (stringop-overflow) on vector<uint8_t>::insert from a char range.
        const size_t at = data.size();
        data.resize(at + s.size());
        if (!s.empty()) std::memcpy(data.data() + at, s.data(), s.size());
        return *this;
    }
    Bytes& str(std::string_view s) { return u64(s.size()).raw(s); }
    Bytes& zeros(size_t n) {
        data.resize(data.size() + n, 0);
        return *this;
    }
    Bytes& pad_to(size_t alignment) { return zeros((alignment - data.size() % alignment) % alignment); }

    Bytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
        return raw("GGUF").u32(version).u64(n_tensors).u64(n_kv);
    }
    Bytes& kv_u32(std::string_view key, uint32_t v) { return str(key).u32(uint32_t(ValueType::UINT32)).u32(v); }
    Bytes& tensor(std::string_view name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
        str(name).u32(static_cast<uint32_t>(ne.size()));
        for (uint64_t n : ne) u64(n);
        return u32(type).u64(offset);
    }
};

}  // namespace clawbot::gguf
