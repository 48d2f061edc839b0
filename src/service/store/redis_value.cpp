#include "service/store/redis_value.h"

#include <charconv>

namespace clawbot::service {
namespace {

Error unexpected(std::string_view what) { return make_error("unexpected reply from Redis for " + std::string(what)); }

}  // namespace

std::optional<std::int64_t> parse_decimal(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

Result<std::string> text_of(const RedisValue& value, std::string_view what) {
    if (value.kind != RedisValue::Kind::Text && value.kind != RedisValue::Kind::Status) return unexpected(what);
    return value.text;
}

Result<std::int64_t> integer_of(const RedisValue& value, std::string_view what) {
    if (value.kind != RedisValue::Kind::Integer) return unexpected(what);
    return value.integer;
}

Result<std::int64_t> integer_text_of(const RedisValue& value, std::string_view what) {
    if (value.kind != RedisValue::Kind::Text) return unexpected(what);
    const std::optional<std::int64_t> parsed = parse_decimal(value.text);
    if (!parsed) return unexpected(what);
    return *parsed;
}

}  // namespace clawbot::service
