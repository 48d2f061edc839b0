#pragma once
// Base64url (RFC 4648 section 5) without padding: safe in headers, URLs and
// shell arguments, which is where access tokens get pasted.
#include <cstdint>
#include <span>
#include <string>

namespace clawbot::service {

std::string base64url_encode(std::span<const std::uint8_t> bytes);

}  // namespace clawbot::service
