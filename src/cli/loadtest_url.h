#pragma once
// The --url of `clawbot loadtest`: plain http:// only, since the tool speaks
// raw TCP (TLS belongs to the proxy in front of the service).
#include <string>
#include <variant>

namespace clawbot::cli {

struct HttpTarget {
    std::string host;         // without IPv6 brackets
    std::string port;         // "80" when the URL names none
    std::string host_header;  // as the URL wrote it: host[:port]
    std::string base_path;    // "" or "/prefix" without a trailing slash
};

// An HttpTarget, or a one-line reason the URL cannot be used.
std::variant<HttpTarget, std::string> parse_http_url(const std::string& url);

}  // namespace clawbot::cli
