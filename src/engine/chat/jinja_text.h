#pragma once
// Python string semantics over UTF-8: templates index, slice, measure and
// strip strings by code point and by Unicode white space, as Python does.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clawbot::chat::jinja {

// The string split into its code points (invalid bytes stand alone).
std::vector<std::string_view> code_points(std::string_view s);
std::size_t code_point_count(std::string_view s);

enum class StripSide { left, right, both };
// str.strip(): Python's white space by default, else any code point of
// `chars`.
std::string_view python_strip(std::string_view s, StripSide side, std::optional<std::string_view> chars = std::nullopt);

// str.split(): on runs of white space (dropping empty parts) when `sep`
// is absent, else on each `sep`; at most max_splits splits when >= 0.
std::vector<std::string> python_split(std::string_view s, std::optional<std::string_view> sep, int64_t max_splits);
// str.rsplit(): the same, counting splits from the right.
std::vector<std::string> python_rsplit(std::string_view s, std::optional<std::string_view> sep, int64_t max_splits);

// Appends code point `cp` (at most U+10FFFF; callers check) as UTF-8:
// what string-literal and JSON escapes decode to.
void append_utf8(std::string& out, uint32_t cp);

// ASCII case mapping (non-ASCII letters are left alone).
std::string ascii_upper(std::string_view s);
std::string ascii_lower(std::string_view s);
std::string python_capitalize(std::string_view s);
std::string python_title(std::string_view s);

}  // namespace clawbot::chat::jinja
