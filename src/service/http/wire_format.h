#pragma once
// Bytes on the wire for responses: the head (status line and fields) and
// the chunked framing. Internal to the HTTP layer; Beast stays in the .cpp.
#include <cstddef>
#include <string>
#include <string_view>

#include "service/http/http_message.h"

namespace clawbot::service {

enum class BodyFraming {
    content_length,  // a plain response
    none,            // 1xx, 204, 304: no body and no length
    chunked,         // an HTTP/1.1 stream: the connection can be reused after it
    until_close,     // an HTTP/1.0 stream: the end is the connection's close
};

struct ResponseHead {
    int status = 200;
    const HttpHeaders* headers = nullptr;  // from the handler; may be null
    BodyFraming framing = BodyFraming::content_length;
    std::size_t content_length = 0;  // with BodyFraming::content_length
    bool keep_alive = true;
    int version = 11;
};

// Status line, fields and the blank line. Handler fields that the server
// owns (Content-Length, Transfer-Encoding, Connection) and fields whose name
// or value could split the header (CR, LF, NUL) are left out; a status
// outside 100..999 is sent as 500.
std::string serialize_response_head(const ResponseHead& head);

// true when the handler asked for "Connection: close".
bool asks_connection_close(const HttpHeaders& headers);

// One chunk: size in hex, CRLF, data, CRLF. `data` must not be empty (an
// empty chunk would end the body).
std::string frame_chunk(std::string_view data);

inline constexpr std::string_view kLastChunk = "0\r\n\r\n";
inline constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace clawbot::service
