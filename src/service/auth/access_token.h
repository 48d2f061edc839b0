#pragma once
// Access tokens: "cb_" + base64url(32 random bytes) = 256 bits of entropy.
// Only the SHA-256 digest is ever stored, so a copy of the database does not
// hand out working tokens; a digest is looked up, then compared in constant
// time.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace clawbot::service {

inline constexpr std::string_view kAccessTokenPrefix = "cb_";
inline constexpr std::size_t kAccessTokenRandomBytes = 32;

using TokenDigest = std::array<std::uint8_t, 32>;

Result<std::string> generate_access_token();
Result<TokenDigest> digest_access_token(std::string_view token);
// Constant time (CRYPTO_memcmp): the comparison leaks no prefix length.
bool digests_equal(const TokenDigest& a, const TokenDigest& b);
// The public handle of a token ("tok_" + 12 hex), shown in lists and logs.
Result<std::string> generate_token_id();

}  // namespace clawbot::service
