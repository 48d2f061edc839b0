#pragma once
// The request and response as the API layer sees them: plain values with no
// Beast or Asio type in them, so routes are written and tested without a
// socket and the rest of the service compiles without Beast.
#include <any>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clawbot::service {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
    std::string method;  // as sent, e.g. "GET"
    std::string target;  // as sent, e.g. "/api/v1/conversations?limit=10"
    std::string path;    // target before '?', still percent-encoded
    std::string query;   // target after '?', without it; empty when absent
    HttpHeaders headers;  // in arrival order, names as sent
    std::string body;
    std::string remote_address;  // peer IP, e.g. "127.0.0.1"
    int version = 11;             // 10 for HTTP/1.0, 11 for HTTP/1.1
    bool keep_alive = true;       // what the client asked for
    // What HttpHandler::screen() attached to this request; empty if nothing.
    std::any screened;

    // First header with this name, compared case-insensitively (RFC 9110).
    std::optional<std::string_view> header(std::string_view name) const;
};

struct HttpResponse {
    int status = 200;
    // Content-Length, Transfer-Encoding and Connection are set by the server
    // and ignored here, except "Connection: close", which is honoured.
    HttpHeaders headers;
    std::string body;

    HttpResponse& set_header(std::string name, std::string value);
};

// The methods this server knows (RFC 9110 9.3 and PATCH); any other is
// answered 501 before routing.
bool is_known_method(std::string_view method);
// The method as a metrics label: a known method as itself, anything else
// "other", so no label value ever comes from what a client made up.
std::string_view method_label(std::string_view method);

// ASCII case-insensitive equality, as header names compare.
bool header_name_equals(std::string_view a, std::string_view b);

// {"error":{"code":CODE,"message":MESSAGE}} with Content-Type
// application/json: the one error shape of the whole service.
HttpResponse json_error_response(int status, std::string_view code, std::string_view message);

// `text` as the contents of a JSON string literal (quotes not included).
std::string json_escape(std::string_view text);

}  // namespace clawbot::service
