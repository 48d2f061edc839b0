#include "service/config/setting_values.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>

namespace clawbot::service {

namespace {

std::string lower_ascii(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

std::optional<bool> parse_bool_text(std::string_view text) {
    static constexpr std::array<std::string_view, 4> truthy = {"1", "true", "yes", "on"};
    static constexpr std::array<std::string_view, 4> falsy = {"0", "false", "no", "off"};
    const std::string lowered = lower_ascii(text);
    if (std::find(truthy.begin(), truthy.end(), lowered) != truthy.end()) return true;
    if (std::find(falsy.begin(), falsy.end(), lowered) != falsy.end()) return false;
    return std::nullopt;
}

std::optional<std::uint64_t> parse_unsigned_text(std::string_view text) {
    if (text.empty()) return std::nullopt;
    // from_chars alone would accept a prefix ("12abc"), so every byte must be a digit.
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
    }
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

}  // namespace clawbot::service
