#pragma once
// A Redis reply as plain C++ data, copied out of hiredis's reply object, so
// that only redis_connection.cpp knows hiredis. Error replies never become a
// RedisValue: the connection turns them into an Error.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace clawbot::service {

struct RedisValue {
    enum class Kind { Nil, Text, Status, Integer, Array };
    Kind kind = Kind::Nil;
    std::string text;          // Text (bulk string) and Status
    std::int64_t integer = 0;  // Integer
    std::vector<RedisValue> items;  // Array

    bool is_nil() const { return kind == Kind::Nil; }
};

// Readers that name what was expected, for "unexpected reply" errors.
Result<std::string> text_of(const RedisValue& value, std::string_view what);
Result<std::int64_t> integer_of(const RedisValue& value, std::string_view what);
// A decimal integer held as text (how the store keeps times and counts).
Result<std::int64_t> integer_text_of(const RedisValue& value, std::string_view what);
std::optional<std::int64_t> parse_decimal(std::string_view text);

}  // namespace clawbot::service
