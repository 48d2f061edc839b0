#pragma once
// CORS_ORIGINS: which web pages on other origins may call the API from a
// browser. Off by default (no origin is listed, so browsers keep other
// pages out). A listed origin gets Access-Control-Allow-Origin on every
// answer and its preflight OPTIONS answered; any other origin's preflight
// gets 403. The access token is still required on every real request:
// CORS only lets a browser show a page the answers.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clawbot::service {

class CorsPolicy {
public:
    // "https://app.example.com, http://localhost:3000" or "*" (any origin).
    explicit CorsPolicy(std::string_view origins);

    bool enabled() const { return any_ || !origins_.empty(); }
    // Whether a request from `origin` (its Origin header) may be answered to it.
    bool allows(std::string_view origin) const;
    // The headers an answer to `origin` carries: none when it is not allowed.
    std::vector<std::pair<std::string, std::string>> response_headers(std::string_view origin) const;
    // A preflight's extra headers (methods, headers, max age).
    static std::vector<std::pair<std::string, std::string>> preflight_headers();

private:
    std::vector<std::string> origins_;
    bool any_ = false;
};

}  // namespace clawbot::service
