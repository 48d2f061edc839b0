#pragma once
// Internal to the gguf room: little-endian encoding of GGUF fields into a
// byte vector (the writer's payloads and headers).
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <vector>

#include "engine/gguf/byte_cursor.h"  // asserts a little-endian host

namespace clawbot::gguf {

template <class T>
void append_le(std::vector<uint8_t>& out, T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const size_t at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &value, sizeof(T));
}

inline void append_bytes(std::vector<uint8_t>& out, const void* data, size_t n) {
    if (n == 0) return;  // data may be null for empty arrays
    const size_t at = out.size();
    out.resize(at + n);
    std::memcpy(out.data() + at, data, n);
}

inline void append_string(std::vector<uint8_t>& out, std::string_view s) {
    append_le<uint64_t>(out, s.size());
    append_bytes(out, s.data(), s.size());
}

}  // namespace clawbot::gguf
