#pragma once
// Where cloud mode sends its requests: UPSTREAM_URL taken apart once, at
// startup, so a bad URL is a clear configuration error and not a failure
// on the first chat.
#include <string>
#include <string_view>

#include "common/result.h"

namespace clawbot::service {

struct UpstreamEndpoint {
    bool tls = false;
    std::string host;         // name or IP literal, without brackets
    std::string port;         // "443" unless the URL names one
    std::string host_header;  // Host: value ("api.example.com", "[::1]:8080")
    std::string base_path;    // "/v1", never ending in '/'; "" for the root

    std::string target(std::string_view path) const { return base_path + std::string(path); }
    // "https://api.example.com/v1": for messages (the URL holds no secret).
    std::string display() const;
};

// Accepts http:// and https:// URLs with an optional port and path; refuses
// credentials in the URL, queries and fragments (the key goes in API_KEY).
Result<UpstreamEndpoint> parse_upstream_url(std::string_view url);

}  // namespace clawbot::service
