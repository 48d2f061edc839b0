#include "service/auth/access_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "service/auth/base64url.h"
#include "service/auth/secure_random.h"

namespace clawbot::service {

Result<std::string> generate_access_token() {
    std::array<std::uint8_t, kAccessTokenRandomBytes> secret{};
    Result<bool> filled = fill_random(secret);
    if (!filled) return filled.error();
    std::string token(kAccessTokenPrefix);
    token += base64url_encode(secret);
    OPENSSL_cleanse(secret.data(), secret.size());
    return token;
}

Result<TokenDigest> digest_access_token(std::string_view token) {
    TokenDigest digest{};
    unsigned int length = 0;
    if (EVP_Digest(token.data(), token.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
        length != digest.size()) {
        return make_error("SHA-256 of the access token failed");
    }
    return digest;
}

bool digests_equal(const TokenDigest& a, const TokenDigest& b) {
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::string> generate_token_id() {
    Result<std::string> hex = random_hex(6);
    if (!hex) return hex.error();
    return "tok_" + *hex;
}

}  // namespace clawbot::service
