#include "service/http/http_message.h"

#include <cstdio>

namespace clawbot::service {

namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr std::string_view kKnownMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

// Length of the well-formed UTF-8 sequence at text[at] (RFC 3629: no
// overlongs, no surrogates, nothing past U+10FFFF), or 0 if it is not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t at) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(at);
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // range of the second byte
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;
        if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
    } else {
        return 0;
    }
    if (at + length > text.size()) return 0;
    if (byte(at + 1) < low || byte(at + 1) > high) return 0;
    for (std::size_t i = 2; i < length; ++i) {
        if ((byte(at + i) & 0xC0) != 0x80) return 0;
    }
    return length;
}

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
    std::string out;
    out.reserve(text.size() + 8);
    for (std::size_t at = 0; at < text.size(); ++at) {
        const char c = text[at];
        if (static_cast<unsigned char>(c) >= 0x80) {
            // Messages quote what clients sent (a path, a field): a byte
            // that is not UTF-8 becomes U+FFFD so the JSON stays valid.
            const std::size_t length = utf8_sequence_length(text, at);
            if (length == 0) {
                out += "\ufffd";
            } else {
                out.append(text.substr(at, length));
                at += length - 1;
            }
            continue;
        }
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

HttpResponse json_error_response(int status, std::string_view code, std::string_view message) {
    HttpResponse response;
    response.status = status;
    response.headers.emplace_back("Content-Type", "application/json");
    response.body = "{\"error\":{\"code\":\"" + json_escape(code) + "\",\"message\":\"" +
                    json_escape(message) + "\"}}";
    return response;
}

}  // namespace clawbot::service
