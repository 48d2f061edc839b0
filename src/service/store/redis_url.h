#pragma once
// STORE=redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]: where the Redis store
// connects. The password is a secret: it is kept only here and in the AUTH
// command, and every text meant for people (display(), error messages)
// shows "***" in its place.
#include <string>
#include <string_view>

#include "common/result.h"

namespace clawbot::service {

struct RedisEndpoint {
    std::string host;
    int port = 6379;
    std::string username;  // empty: AUTH with the password alone (the "default" user)
    std::string password;  // empty: no AUTH
    int db = 0;

    // "redis://host:port/db", with "***@" (or "user:***@") when a password is set.
    std::string display() const;
};

// Parses and validates the URL. %XX escapes are decoded in the user name and
// password. Errors name the setting and show the URL with its credentials masked.
Result<RedisEndpoint> parse_redis_url(std::string_view url);

// `text` with anything between "://" (or the start) and the last '@'
// replaced by "***": for messages about a STORE value that did not parse.
std::string mask_url_credentials(std::string_view text);

}  // namespace clawbot::service
