#include "service/http/request_head.h"

#include <algorithm>

#include <boost/asio/buffer.hpp>

namespace clawbot::service {

namespace http = boost::beast::http;

namespace {

std::string_view trim_ows(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// The codings of every Transfer-Encoding field, in order, parameters cut.
std::vector<std::string_view> transfer_codings(const BeastRequest& head) {
    std::vector<std::string_view> codings;
    for (const auto& field : head) {
        if (field.name() != http::field::transfer_encoding) continue;
        std::string_view value = field.value();
        while (!value.empty()) {
            const auto comma = value.find(',');
            std::string_view item = value.substr(0, comma);
            item = item.substr(0, item.find(';'));
            item = trim_ows(item);
            if (!item.empty()) codings.push_back(item);
            if (comma == std::string_view::npos) break;
            value.remove_prefix(comma + 1);
        }
    }
    return codings;
}

std::size_t count_fields(const BeastRequest& head, http::field name) {
    return static_cast<std::size_t>(std::count_if(head.begin(), head.end(),
                                                  [&](const auto& field) { return field.name() == name; }));
}

HeadRejection bad_request(std::string message) { return {400, "bad_request", std::move(message)}; }

}  // namespace

std::size_t find_header_end(std::string_view bytes, std::size_t scan_from) {
    for (std::size_t at = bytes.find('\n', scan_from); at != std::string_view::npos; at = bytes.find('\n', at + 1)) {
        if (at + 1 < bytes.size() && bytes[at + 1] == '\n') return at + 2;
        if (at + 2 < bytes.size() && bytes[at + 1] == '\r' && bytes[at + 2] == '\n') return at + 3;
    }
    return std::string_view::npos;
}

std::string_view request_line_method(std::string_view header_block) {
    const std::size_t end = header_block.find_first_of(" \r\n");
    return header_block.substr(0, end == std::string_view::npos ? header_block.size() : end);
}

bool has_request_line(std::string_view bytes) { return bytes.find('\n') != std::string_view::npos; }

bool has_obsolete_line_folding(std::string_view header_block) {
    for (std::size_t at = header_block.find('\n'); at != std::string_view::npos; at = header_block.find('\n', at + 1)) {
        if (at + 1 < header_block.size() && (header_block[at + 1] == ' ' || header_block[at + 1] == '\t')) return true;
    }
    return false;
}

std::optional<HeadRejection> check_request_head(const BeastRequest& head, bool chunked) {
    if (!is_known_method(head.method_string())) {
        return HeadRejection{501, "not_implemented", "method not implemented"};
    }
    if (head.version() >= 11 && count_fields(head, http::field::host) != 1) {
        return bad_request("an HTTP/1.1 request needs exactly one Host header");
    }
    const std::vector<std::string_view> codings = transfer_codings(head);
    if (count_fields(head, http::field::transfer_encoding) == 0) return std::nullopt;
    // RFC 9112 6.1: unless chunked is the final coding the body's length
    // cannot be known, and reading it as "no body" is how a second request
    // gets smuggled inside the first.
    if (codings.empty() || !header_name_equals(codings.back(), "chunked") || !chunked) {
        return bad_request("Transfer-Encoding must end with chunked");
    }
    if (codings.size() > 1) {
        return HeadRejection{501, "not_implemented", "transfer codings other than chunked are not supported"};
    }
    if (count_fields(head, http::field::content_length) > 0) {
        return bad_request("Content-Length and Transfer-Encoding together");
    }
    if (head.version() < 11) return bad_request("Transfer-Encoding in an HTTP/1.0 request");
    return std::nullopt;
}

std::optional<HeadRejection> parse_request_head(std::string_view header_block, BeastRequestParser& parser) {
    if (has_obsolete_line_folding(header_block)) {
        return bad_request("malformed request: obsolete line folding is not accepted");
    }
    boost::system::error_code ec;
    std::size_t used = 0;
    while (!ec && !parser.is_header_done() && used < header_block.size()) {
        const std::size_t n =
            parser.put(boost::asio::buffer(header_block.data() + used, header_block.size() - used), ec);
        if (n == 0 && !ec) break;
        used += n;
    }
    if (ec == http::error::header_limit) return HeadRejection{431, "header_too_large", ""};
    if (ec == http::error::body_limit) return HeadRejection{413, "payload_too_large", ""};
    if (ec || !parser.is_header_done()) {
        return bad_request("malformed request: " + (ec ? ec.message() : std::string("incomplete header")));
    }
    if (used != header_block.size()) return bad_request("malformed request: bytes after the header block");
    return check_request_head(parser.get(), parser.chunked());
}

}  // namespace clawbot::service
