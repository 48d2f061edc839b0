#pragma once
// Turns a presented token into the record it belongs to by asking a store.
// The server asks its in-memory copy first (token_cache.h) and comes here
// only for a token the copy lacks; the CLI and tests come here directly.
#include <optional>
#include <string_view>

#include "common/result.h"
#include "service/auth/token_record.h"

namespace clawbot::service {

// The one thing verification needs from a store. ConversationStore provides
// it; auth does not depend on the store.
class TokenLookup {
public:
    virtual ~TokenLookup() = default;
    // The token with this digest, revoked ones included (marked revoked).
    virtual Result<std::optional<StoredToken>> find_token(const TokenDigest& digest) = 0;
};

// nullopt: unknown or revoked (answer 401). An error means the store could
// not be asked (answer 503, never 401, so an outage does not look like a bad
// token).
Result<std::optional<TokenRecord>> verify_access_token(TokenLookup& lookup,
                                                       std::string_view presented);

// The record of `stored` (a lookup's answer for `digest`) when it matches in
// constant time and is not revoked; nullopt otherwise.
std::optional<TokenRecord> accept_stored_token(const std::optional<StoredToken>& stored, const TokenDigest& digest);

}  // namespace clawbot::service
