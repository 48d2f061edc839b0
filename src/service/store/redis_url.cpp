#include "service/store/redis_url.h"

#include <charconv>
#include <climits>
#include <optional>

namespace clawbot::service {
namespace {

constexpr std::string_view kScheme = "redis://";

Error bad_url(std::string_view url, std::string_view why) {
    return make_error("STORE \"" + mask_url_credentials(url) + "\": " + std::string(why));
}

std::optional<int> parse_int(std::string_view text, int min, int max) {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
        return std::nullopt;
    }
    return value;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;
        const int high = hex_digit(text[i + 1]), low = hex_digit(text[i + 2]);
        if (high < 0 || low < 0) return std::nullopt;
        out += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return out;
}

// "[::1]:6380" or "host:6380" or "host": host and port text.
Result<bool> split_host_port(std::string_view url, std::string_view authority, RedisEndpoint& e) {
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return bad_url(url, "unclosed '[' in the host");
        e.host = std::string(authority.substr(1, close - 1));
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return bad_url(url, "unexpected text after the IPv6 address");
            port = after.substr(1);
            if (port.empty()) return bad_url(url, "port must be a number 1..65535");
        }
    } else {
        const std::size_t colon = authority.find(':');
        e.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            if (port.empty()) return bad_url(url, "port must be a number 1..65535");
        }
    }
    if (e.host.empty()) return bad_url(url, "has no host");
    if (e.host.find_first_of(" \t\r\n/?#") != std::string::npos) return bad_url(url, "has a character not allowed in a host");
    if (!port.empty()) {
        const std::optional<int> value = parse_int(port, 1, 65535);
        if (!value) return bad_url(url, "port must be a number 1..65535");
        e.port = *value;
    }
    return true;
}

Result<bool> parse_credentials(std::string_view url, std::string_view userinfo, RedisEndpoint& e) {
    const std::size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
        return bad_url(url, "credentials must be written :PASSWORD@ or USER:PASSWORD@");
    }
    const std::optional<std::string> user = percent_decode(userinfo.substr(0, colon));
    const std::optional<std::string> password = percent_decode(userinfo.substr(colon + 1));
    if (!user || !password) return bad_url(url, "bad %-escape in the credentials");
    if (password->empty()) return bad_url(url, "has an empty password; leave out \":@\" when Redis needs none");
    e.username = *user;
    e.password = *password;
    return true;
}

}  // namespace

std::string mask_url_credentials(std::string_view text) {
    const std::size_t at = text.rfind('@');
    if (at == std::string_view::npos) return std::string(text);
    const std::size_t scheme = text.find("://");
    const std::size_t start = scheme == std::string_view::npos || scheme > at ? 0 : scheme + 3;
    return std::string(text.substr(0, start)) + "***" + std::string(text.substr(at));
}

std::string RedisEndpoint::display() const {
    std::string out(kScheme);
    if (!password.empty()) out += username + (username.empty() ? "***@" : ":***@");
    out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return out + ":" + std::to_string(port) + "/" + std::to_string(db);
}

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
    if (url.rfind("rediss://", 0) == 0) {
        return bad_url(url, "TLS (rediss://) is not supported; use redis:// on a trusted network or through a TLS tunnel");
    }
    if (url.rfind(kScheme, 0) != 0) return bad_url(url, "must start with redis://");
    std::string_view rest = url.substr(kScheme.size());
    RedisEndpoint e;
    // The database path never holds '@', so the last '@' ends the
    // credentials even when a password holds '@' or '/' unescaped.
    if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
        Result<bool> credentials = parse_credentials(url, rest.substr(0, at), e);
        if (!credentials) return credentials.error();
        rest.remove_prefix(at + 1);
    }
    if (rest.find_first_of("?#") != std::string_view::npos) return bad_url(url, "must not have a query or fragment");
    const std::size_t slash = rest.find('/');
    Result<bool> host = split_host_port(url, rest.substr(0, slash), e);
    if (!host) return host.error();
    if (slash != std::string_view::npos && slash + 1 < rest.size()) {
        const std::optional<int> db = parse_int(rest.substr(slash + 1), 0, INT_MAX);
        if (!db) return bad_url(url, "the path must be a database number, e.g. /0");
        e.db = *db;
    }
    return e;
}

}  // namespace clawbot::service
