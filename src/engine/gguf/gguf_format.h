#pragma once
// Internal to the gguf room: constants and sizes of the GGUF format shared
// by the reader and the writer.
#include <cstdint>
#include <optional>
#include <vector>

#include "engine/gguf/gguf_file.h"

namespace clawbot::gguf {

inline constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
inline constexpr uint32_t kWriteVersion = 3;
inline constexpr uint64_t kDefaultAlignment = 32;
inline constexpr uint32_t kMaxDims = 4;
// Upper bound on general.alignment. Real writers use 32 or 64 bytes; one
// aimed at mmap might choose a page (4-64 KiB) or a huge page (2 MiB). A
// larger value is a corrupt field rather than a layout choice, and bounding
// it keeps every align-up far from overflow.
inline constexpr uint64_t kMaxAlignment = uint64_t{16} << 20;
// Nested arrays are not used by any known writer; a bound on their depth
// keeps a crafted file from recursing the stack away.
inline constexpr int kMaxArrayDepth = 4;

// Encoded size of a numeric or bool value; 0 for strings and arrays, whose
// size depends on their contents.
inline uint64_t scalar_bytes(ValueType t) {
    switch (t) {
        case ValueType::UINT8: case ValueType::INT8: case ValueType::BOOL: return 1;
        case ValueType::UINT16: case ValueType::INT16: return 2;
        case ValueType::UINT32: case ValueType::INT32: case ValueType::FLOAT32: return 4;
        case ValueType::UINT64: case ValueType::INT64: case ValueType::FLOAT64: return 8;
        case ValueType::STRING: case ValueType::ARRAY: return 0;
    }
    return 0;
}

// Bytes of a tensor of `type` with dims `ne` (ne[0] innermost), or nullopt
// when the type is unknown, there are not 1 to 4 dims, ne[0] is not a whole
// number of blocks, or the size overflows.
inline std::optional<uint64_t> tensor_bytes(DType type, const std::vector<uint64_t>& ne) {
    const std::optional<DTypeInfo> info = dtype_info(static_cast<uint32_t>(type));
    if (!info || ne.empty() || ne.size() > kMaxDims || ne[0] % info->block_elems != 0) return std::nullopt;
    uint64_t bytes = 0;
    if (__builtin_mul_overflow(ne[0] / info->block_elems, uint64_t{info->block_bytes}, &bytes)) return std::nullopt;
    for (size_t d = 1; d < ne.size(); ++d) {
        if (__builtin_mul_overflow(bytes, ne[d], &bytes)) return std::nullopt;
    }
    return bytes;
}

}  // namespace clawbot::gguf
