#pragma once
// The config file: KEY=VALUE lines, '#' comments and blank lines, values
// optionally wrapped in one pair of matching quotes (no escapes, so what is
// between the quotes is taken byte for byte). Keys are the names in the
// settings table; anything else is refused with its line number.
#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace clawbot::service {

struct ConfigEntry {
    std::string value;
    int line = 0;  // 1-based, for error messages
};

using ConfigEntries = std::map<std::string, ConfigEntry, std::less<>>;

// `source` (usually the path) prefixes every error message.
Result<ConfigEntries> parse_config_text(std::string_view text, std::string_view source);

// Reads and parses a config file. A file that sets a secret (API_KEY) while
// group or others have any access to it is refused, naming `chmod 600 PATH`.
Result<ConfigEntries> read_config_file(const std::string& path);

}  // namespace clawbot::service
