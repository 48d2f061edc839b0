#include "service/http/http_message.h"

#include <cstdio>

namespace clawbot::service {

namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool header_name_equals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
    for (const auto& [field, value] : headers) {
        if (header_name_equals(field, name)) return std::string_view(value);
    }
    return std::nullopt;
}

HttpResponse& HttpResponse::set_header(std::string name, std::string value) {
    for (auto& [field, existing] : headers) {
        if (header_name_equals(field, name)) {
            existing = std::move(value);
            return *this;
        }
    }
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
}

std::string json_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 8);
    for (const char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
                    out += escaped;
                } else {
                    out += c;  // UTF-8 passes through unchanged
                }
        }
    }
    return out;
}

HttpResponse json_error_response(int status, std::string_view code, std::string_view message) {
    HttpResponse response;
    response.status = status;
    response.headers.emplace_back("Content-Type", "application/json");
    response.body = "{\"error\":{\"code\":\"" + json_escape(code) + "\",\"message\":\"" +
                    json_escape(message) + "\"}}";
    return response;
}

}  // namespace clawbot::service
