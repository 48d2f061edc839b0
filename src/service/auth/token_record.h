#pragma once
// What the service knows about an access token: never the token itself.
#include <cstdint>
#include <string>

#include "service/auth/access_token.h"

namespace clawbot::service {

struct TokenRecord {
    std::string id;             // "tok_" + 12 hex; public, safe to log
    std::string name;
    bool admin = false;
    std::int64_t created_at_ms = 0;  // unix time, milliseconds
    bool revoked = false;
};

// A record as found by digest, with the stored digest for the final
// constant-time comparison.
struct StoredToken {
    TokenRecord record;
    TokenDigest digest{};
};

}  // namespace clawbot::service
