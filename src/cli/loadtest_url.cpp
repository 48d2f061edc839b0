#include "cli/loadtest_url.h"

#include <algorithm>
#include <cctype>

namespace clawbot::cli {

std::variant<HttpTarget, std::string> parse_http_url(const std::string& url) {
    const std::string scheme = "http://";
    if (url.rfind("https://", 0) == 0) {
        return std::string("https:// is not supported: loadtest speaks plain HTTP; point --url at the http:// listener");
    }
    if (url.rfind(scheme, 0) != 0) return std::string("--url must start with http:// (got '" + url + "')");
    const std::string rest = url.substr(scheme.size());
    const size_t slash = rest.find('/');
    HttpTarget t;
    t.host_header = rest.substr(0, slash);
    t.base_path = slash == std::string::npos ? "" : rest.substr(slash);
    while (!t.base_path.empty() && t.base_path.back() == '/') t.base_path.pop_back();
    if (t.base_path.find_first_of("?# ") != std::string::npos) return std::string("--url must not carry a query or fragment");

    std::string port_text;
    if (!t.host_header.empty() && t.host_header.front() == '[') {  // [IPv6]:port
        const size_t close = t.host_header.find(']');
        if (close == std::string::npos) return std::string("--url has an unclosed '[' in its host");
        t.host = t.host_header.substr(1, close - 1);
        const std::string after = t.host_header.substr(close + 1);
        if (!after.empty() && after.front() != ':') return std::string("--url has text after ']' in its host");
        if (!after.empty()) port_text = after.substr(1);
    } else {
        const size_t colon = t.host_header.find(':');
        t.host = t.host_header.substr(0, colon);
        if (colon != std::string::npos) port_text = t.host_header.substr(colon + 1);
    }
    if (t.host.empty()) return std::string("--url names no host");
    if (t.host_header.find('@') != std::string::npos) return std::string("--url must not carry credentials; use --token");
    if (port_text.empty()) {
        if (t.host_header.back() == ':') return std::string("--url has an empty port");
        t.port = "80";
        return t;
    }
    const bool digits = std::all_of(port_text.begin(), port_text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (!digits || port_text.size() > 5 || std::stoi(port_text) < 1 || std::stoi(port_text) > 65535) {
        return std::string("--url has an invalid port '" + port_text + "'");
    }
    t.port = port_text;
    return t;
}

}  // namespace clawbot::cli
