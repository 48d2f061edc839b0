#pragma once
// The header block of a request, checked before any byte of its body is
// read: where it ends, and what RFC 9112 says a server must refuse that
// Beast's parser accepts (obsolete line folding, a Transfer-Encoding whose
// final coding is not chunked, Content-Length beside Transfer-Encoding, an
// HTTP/1.1 request without exactly one Host) or cannot serve (a method it
// does not know, a coding other than chunked). Internal to the HTTP layer;
// pure functions, so the fuzz target drives them without a socket.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "service/http/request_conversion.h"

namespace clawbot::service {

// Where the header block ends (one past its empty line), searching from
// `scan_from` (what an earlier call already looked at), or npos when it has
// not all arrived. A bare LF counts as a line end here, so a client that
// sends one gets its 400 at once instead of waiting for a timeout.
std::size_t find_header_end(std::string_view bytes, std::size_t scan_from = 0);

// The first word of the request line (its method, unless the line is
// malformed), for counting a request that is refused before it parses.
std::string_view request_line_method(std::string_view header_block);

// true once the request line has arrived (a line end is in `bytes`).
bool has_request_line(std::string_view bytes);

// A field line that starts with a space or tab continues the previous one
// (obs-fold, RFC 9112 5.2); a server must reject it or unfold it, and
// unfolding is how proxies and servers disagree about where a field ends.
bool has_obsolete_line_folding(std::string_view header_block);

struct HeadRejection {
    int status = 400;
    std::string code;     // "bad_request", "not_implemented"
    std::string message;
};

// What a parsed header may not be. `chunked`: the parser's own reading of
// Transfer-Encoding.
std::optional<HeadRejection> check_request_head(const BeastRequest& head, bool chunked);

// Runs Beast's parser over one whole header block and checks it; the
// parsed header is left in `parser`. Used by the session and the fuzzer.
using BeastRequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;
std::optional<HeadRejection> parse_request_head(std::string_view header_block, BeastRequestParser& parser);

}  // namespace clawbot::service
