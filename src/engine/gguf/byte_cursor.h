#pragma once
// A read position in an untrusted byte buffer. Every read is checked against
// the bytes left, so the parser above it can never step outside the file;
// a failed read leaves the position unchanged.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace clawbot::gguf {

// GGUF is little-endian and values are copied out byte for byte.
static_assert(std::endian::native == std::endian::little, "the GGUF reader assumes a little-endian host");

class ByteCursor {
public:
    ByteCursor(const uint8_t* data, size_t size) : data_(data), size_(size) {}

    size_t position() const { return pos_; }
    size_t remaining() const { return size_ - pos_; }
    const uint8_t* here() const { return data_ + pos_; }

    template <class T>
    bool read(T& out) {
        static_assert(std::is_trivially_copyable_v<T>);
        if (remaining() < sizeof(T)) return false;
        std::memcpy(&out, data_ + pos_, sizeof(T));
        pos_ += sizeof(T);
        return true;
    }

    bool skip(size_t n) {
        if (remaining() < n) return false;
        pos_ += n;
        return true;
    }

private:
    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
};

}  // namespace clawbot::gguf
