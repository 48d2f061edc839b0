#include "service/http/wire_format.h"

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>

namespace clawbot::service {

namespace http = boost::beast::http;

namespace {

bool is_server_owned(std::string_view name) {
    return header_name_equals(name, "Content-Length") ||
           header_name_equals(name, "Transfer-Encoding") || header_name_equals(name, "Connection");
}

// Beast stores a field's name and value lengths in 16 bits.
constexpr std::size_t kMaxFieldPart = 60'000;

bool is_safe_field(std::string_view name, std::string_view value) {
    if (name.empty() || name.size() > kMaxFieldPart || value.size() > kMaxFieldPart) return false;
    for (const char c : name) {
        // Header names are tokens: no separators, spaces or controls.
        if (c <= ' ' || c >= 127 || c == ':') return false;
    }
    for (const char c : value) {
        if (c == '\r' || c == '\n' || c == '\0') return false;
    }
    return true;
}

}  // namespace

std::string serialize_response_head(const ResponseHead& head) {
    http::response<http::empty_body> response;
    response.version(head.version == 10 ? 10 : 11);
    const bool valid_status = head.status >= 100 && head.status <= 999;
    response.result(static_cast<unsigned>(valid_status ? head.status : 500));
    bool has_nosniff = false;
    if (head.headers != nullptr) {
        for (const auto& [name, value] : *head.headers) {
            if (is_server_owned(name) || !is_safe_field(name, value)) continue;
            has_nosniff = has_nosniff || header_name_equals(name, "X-Content-Type-Options");
            response.insert(name, value);
        }
    }
    // Every response says what it is and means it: a JSON error quoting a
    // client's text must never be sniffed into HTML by a browser.
    if (!has_nosniff && valid_status && head.status >= 200) response.insert("X-Content-Type-Options", "nosniff");
    switch (head.framing) {
        case BodyFraming::content_length: response.content_length(head.content_length); break;
        case BodyFraming::chunked: response.chunked(true); break;
        case BodyFraming::none:
        case BodyFraming::until_close: break;
    }
    response.keep_alive(head.keep_alive && head.framing != BodyFraming::until_close);
    http::fields::writer writer(response, response.version(), response.result_int());
    return boost::beast::buffers_to_string(writer.get());
}

bool asks_connection_close(const HttpHeaders& headers) {
    for (const auto& [name, value] : headers) {
        if (header_name_equals(name, "Connection") && header_name_equals(value, "close")) return true;
    }
    return false;
}

std::string frame_chunk(std::string_view data) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string size_hex;
    for (std::size_t n = data.size(); n != 0; n >>= 4) size_hex.insert(size_hex.begin(), kHex[n & 15]);
    std::string framed;
    framed.reserve(size_hex.size() + data.size() + 4);
    framed.append(size_hex).append("\r\n").append(data).append("\r\n");
    return framed;
}

}  // namespace clawbot::service
