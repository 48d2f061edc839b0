#pragma once
// The list of settings. Each has one NAME used three ways: the flag
// --lower-case-name, the environment variable NAME and the config-file key
// NAME. The CLI builds its flags and --help from this table, and the loader
// and the config writer validate through it, so the three can never drift.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "common/result.h"
#include "service/config/settings.h"

namespace clawbot::service {

enum class SettingKind {
    Text,            // any string (may_be_empty says whether "" is allowed)
    Choice,          // one of SettingSpec::choices
    Port,            // 0..65535; 0 asks the OS for a free port
    PositiveInt,     // 1..INT_MAX
    NonNegativeInt,  // 0..INT_MAX, 0 meaning "automatic"
    ByteSize,        // positive byte count
    Bool,            // 1/0/true/false/yes/no, any case
};

using SettingField = std::variant<std::string Settings::*, int Settings::*,
                                  std::size_t Settings::*, bool Settings::*>;

struct SettingSpec {
    std::string_view name;         // "MODEL_PATH": environment variable and file key
    std::string_view description;  // one line for --help
    SettingKind kind;
    SettingField field;
    bool secret = false;           // never printed; refused in a group/world-readable file
    bool may_be_empty = false;     // for Text: whether "" is a valid value
    std::span<const std::string_view> choices = {};  // for Choice
};

std::span<const SettingSpec> settings_table();
const SettingSpec* find_setting(std::string_view name);

// "--model-path" for MODEL_PATH.
std::string flag_name(const SettingSpec& spec);
// The default value as text (from a default-constructed Settings), for --help.
std::string default_text(const SettingSpec& spec);
// The value `settings` holds for `spec`, as text (bools as 1/0).
std::string setting_text(const Settings& settings, const SettingSpec& spec);
// A short placeholder for --help: "PATH", "PORT", "N", "BYTES", "BOOL", "local|...".
std::string value_placeholder(const SettingSpec& spec);

// Parses and validates text for one setting and stores it in settings.
// `origin` ("environment", "flag --port", "/etc/clawbot/config.env line 3")
// goes into the error message beside the setting's name.
Result<bool> apply_setting(Settings& settings, const SettingSpec& spec, std::string_view text,
                           std::string_view origin);

}  // namespace clawbot::service
