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

// OpenAI's error object, the one error shape of the whole service (the
// native API's {"code","message"} is a part of it):
// {"error":{"message":MESSAGE,"type":TYPE,"param":PARAM or null,"code":CODE}}
// with Content-Type application/json. `param` names the request field at
// fault, when one is.
HttpResponse json_error_response(int status, std::string_view code, std::string_view message,
                                 std::string_view param = {});
// The error object's `type` for a status: invalid_request_error (4xx),
// authentication_error (401), permission_error (403), not_found_error
// (404), rate_limit_error (429), server_error (5xx).
std::string_view error_type_for_status(int status);
// The error object alone, {"message",...}, for an in-stream error event.
std::string json_error_object(int status, std::string_view code, std::string_view message,
                              std::string_view param = {});

// `text` as the contents of a JSON string literal (quotes not included).
std::string json_escape(std::string_view text);

}  // namespace clawbot::service
