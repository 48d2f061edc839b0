#pragma once
// Randomness for secrets and public ids, straight from the kernel's CSPRNG
// (getrandom), so nothing here needs seeding or can be forked into a copy.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/result.h"

namespace clawbot::service {

Result<bool> fill_random(std::span<std::uint8_t> out);

// Lower-case hex of `byte_count` random bytes (2 * byte_count characters).
Result<std::string> random_hex(std::size_t byte_count);

}  // namespace clawbot::service
