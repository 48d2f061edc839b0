#pragma once
// Text -> typed value conversions shared by the flag, environment and file
// sources. Strict on purpose: "12abc", " 12", "-1" and "+1" are all refused,
// so a typo is an error rather than a surprising value.
#include <cstdint>
#include <optional>
#include <string_view>

namespace clawbot::service {

// 1/0/true/false/yes/no/on/off, any case.
std::optional<bool> parse_bool_text(std::string_view text);
// Decimal digits only; nullopt on anything else or on overflow.
std::optional<std::uint64_t> parse_unsigned_text(std::string_view text);

}  // namespace clawbot::service
