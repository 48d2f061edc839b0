#include "service/auth/bearer.h"

namespace clawbot::service {

namespace {

bool is_token_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

bool is_b64token(std::string_view token) {
    std::size_t i = 0;
    while (i < token.size() && is_token_char(token[i])) ++i;
    if (i == 0) return false;
    while (i < token.size() && token[i] == '=') ++i;
    return i == token.size();
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

}  // namespace

std::optional<std::string_view> parse_bearer(std::string_view authorization_header) {
    constexpr std::string_view kScheme = "bearer";
    if (authorization_header.size() <= kScheme.size() ||
        !equals_ignoring_case(authorization_header.substr(0, kScheme.size()), kScheme) ||
        authorization_header[kScheme.size()] != ' ') {
        return std::nullopt;
    }
    std::string_view token = authorization_header.substr(kScheme.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    if (!is_b64token(token)) return std::nullopt;
    return token;
}

}  // namespace clawbot::service
