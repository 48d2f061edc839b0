#include "service/auth/secure_random.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include <sys/random.h>

namespace clawbot::service {

Result<bool> fill_random(std::span<std::uint8_t> out) {
    std::size_t filled = 0;
    // getrandom() may return fewer bytes than asked (or EINTR) for large requests.
    while (filled < out.size()) {
        const ssize_t n = ::getrandom(out.data() + filled, out.size() - filled, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(std::string("getrandom failed: ") + std::strerror(errno));
        filled += static_cast<std::size_t>(n);
    }
    return true;
}

Result<std::string> random_hex(std::size_t byte_count) {
    std::vector<std::uint8_t> bytes(byte_count);
    Result<bool> filled = fill_random(bytes);
    if (!filled) return filled.error();
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(byte_count * 2);
    for (std::uint8_t b : bytes) {
        hex += kDigits[b >> 4];
        hex += kDigits[b & 0x0f];
    }
    return hex;
}

}  // namespace clawbot::service
