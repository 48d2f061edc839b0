#include "service/auth/token_verifier.h"

namespace clawbot::service {

Result<std::optional<TokenRecord>> verify_access_token(TokenLookup& lookup,
                                                       std::string_view presented) {
    Result<TokenDigest> digest = digest_access_token(presented);
    if (!digest) return digest.error();
    Result<std::optional<StoredToken>> found = lookup.find_token(*digest);
    if (!found) return found.error();
    return accept_stored_token(*found, *digest);
}

std::optional<TokenRecord> accept_stored_token(const std::optional<StoredToken>& stored, const TokenDigest& digest) {
    // The index lookup already matched, but the final say is a constant-time
    // comparison so no lookup implementation can turn into a timing oracle.
    if (!stored || !digests_equal(stored->digest, digest) || stored->record.revoked) return std::nullopt;
    return stored->record;
}

}  // namespace clawbot::service
