#include "service/provider/upstream_endpoint.h"

#include <charconv>

namespace clawbot::service {
namespace {

// The URL as an error message may show it: credentials someone put in it
// (user:password@) are masked, since messages reach logs.
std::string shown(std::string_view url) {
    const size_t scheme = url.find("://");
    const size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
    const size_t at = url.find('@', start);
    if (at == std::string_view::npos || url.find('/', start) < at) return std::string(url);
    return std::string(url.substr(0, start)) + "***" + std::string(url.substr(at));
}

Error bad_url(std::string_view url, std::string_view why) {
    return make_error("UPSTREAM_URL \"" + shown(url) + "\": " + std::string(why));
}

}  // namespace

std::string UpstreamEndpoint::display() const {
    return std::string(tls ? "https://" : "http://") + host_header + base_path;
}

Result<UpstreamEndpoint> parse_upstream_url(std::string_view url) {
    UpstreamEndpoint e;
    std::string_view rest = url;
    if (rest.rfind("https://", 0) == 0) {
        e.tls = true;
        rest.remove_prefix(8);
    } else if (rest.rfind("http://", 0) == 0) {
        rest.remove_prefix(7);
    } else {
        return bad_url(url, "must start with http:// or https://");
    }
    if (rest.find_first_of("?#") != std::string_view::npos) return bad_url(url, "must not have a query or fragment");
    const size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    if (authority.find('@') != std::string_view::npos) {
        return bad_url(url, "must not hold credentials; put the key in API_KEY");
    }
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
        const size_t close = authority.find(']');
        if (close == std::string_view::npos) return bad_url(url, "unclosed '[' in the host");
        e.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return bad_url(url, "unexpected text after the IPv6 address");
            port = after.substr(1);
        }
    } else {
        const size_t colon = authority.rfind(':');
        e.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (e.host.empty()) return bad_url(url, "has no host");
    if (e.host.find_first_of(" \t\r\n") != std::string::npos) return bad_url(url, "has white space in the host");
    if (port.empty()) {
        e.port = e.tls ? "443" : "80";
    } else {
        int value = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
            return bad_url(url, "port must be a number 1..65535");
        }
        e.port = std::string(port);
    }
    e.host_header = std::string(authority);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    if (path.find_first_of(" \t\r\n") != std::string_view::npos) return bad_url(url, "has white space in the path");
    e.base_path = std::string(path);
    return e;
}

}  // namespace clawbot::service
