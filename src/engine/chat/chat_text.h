#pragma once
// Small text helpers shared by the built-in formats and template detection.
#include <string_view>

namespace clawbot::chat {

// Strips the C locale's white space (space, \t, \n, \v, \f, \r) from both
// ends, which is what llama.cpp's built-in formats mean by "trim".
inline std::string_view trim_ascii_space(std::string_view text) {
    constexpr std::string_view kSpace = " \t\n\v\f\r";
    const auto first = text.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(kSpace);
    return text.substr(first, last - first + 1);
}

inline bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

}  // namespace clawbot::chat
