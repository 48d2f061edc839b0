#pragma once
// A half-open range [begin, end) of byte offsets into some text.
#include <cstddef>

namespace clawbot {

struct ByteRange {
    std::size_t begin = 0;
    std::size_t end = 0;

    bool empty() const { return end <= begin; }
    friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

}  // namespace clawbot
