#pragma once
// The only way a token reaches the service: "Authorization: Bearer <token>"
// (RFC 6750 section 2.1). Never a query parameter, never another scheme.
#include <optional>
#include <string_view>

namespace clawbot::service {

// The token inside an Authorization header value, or nullopt. The scheme is
// case-insensitive; one or more spaces follow it; the token is a non-empty
// b64token (letters, digits, - . _ ~ + / then optional '=' padding) with
// nothing after it. The view points into `authorization_header`.
std::optional<std::string_view> parse_bearer(std::string_view authorization_header);

}  // namespace clawbot::service
