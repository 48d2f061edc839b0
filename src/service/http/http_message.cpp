#include "service/http/http_message.h"

#include <cstdio>

#include "engine/tokenizer/utf8.h"

namespace clawbot::service {

namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr std::string_view kKnownMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

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

bool is_known_method(std::string_view method) {
    for (std::string_view known : kKnownMethods) {
        if (method == known) return true;
    }
    return false;
}

std::string_view method_label(std::string_view method) {
    for (std::string_view known : kKnownMethods) {
        if (method == known) return known;
    }
    return "other";
}

std::string json_escape(std::string_view text) {
    // Messages quote what clients sent (a path, a field): what is not UTF-8
    // becomes U+FFFD so the JSON stays valid.
    std::string clean;
    utf8::append_sanitized(clean, text);
    std::string out;
    out.reserve(clean.size() + 8);
    for (const char c : clean) {
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
                    out += c;
                }
        }
    }
    return out;
}

std::string_view error_type_for_status(int status) {
    if (status == 401) return "authentication_error";
    if (status == 403) return "permission_error";
    if (status == 404) return "not_found_error";
    if (status == 429) return "rate_limit_error";
    if (status >= 500) return "server_error";
    return "invalid_request_error";
}

std::string json_error_object(int status, std::string_view code, std::string_view message, std::string_view param) {
    return "{\"message\":\"" + json_escape(message) + "\",\"type\":\"" + std::string(error_type_for_status(status)) +
           "\",\"param\":" + (param.empty() ? std::string("null") : "\"" + json_escape(param) + "\"") +
           ",\"code\":\"" + json_escape(code) + "\"}";
}

HttpResponse json_error_response(int status, std::string_view code, std::string_view message, std::string_view param) {
    HttpResponse response;
    response.status = status;
    response.headers.emplace_back("Content-Type", "application/json");
    response.body = "{\"error\":" + json_error_object(status, code, message, param) + "}";
    return response;
}

}  // namespace clawbot::service
