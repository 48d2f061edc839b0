#pragma once
// Builds Settings from three sources. Precedence: flags > environment >
// config file > built-in defaults. Each setting has the same NAME in all
// three (see settings_table.h).
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "service/config/settings.h"

namespace clawbot::service {

inline constexpr std::string_view kDefaultConfigPath = "/etc/clawbot/config.env";

// NAME -> value when the variable is set. Injected so tests never read or
// change the real process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The real environment, for main().
EnvLookup process_environment();

// The explicit --config path if given, else `default_path` when a file
// exists there, else nothing (run on defaults, environment and flags).
std::optional<std::string> resolve_config_path(const std::optional<std::string>& explicit_path,
                                               std::string_view default_path = kDefaultConfigPath);

// `flags` is keyed by setting NAME ("PORT", not "--port"); an unknown name is
// an error. `config_path`: the --config value, or nullopt for the default
// path when it exists. Every error names the setting and where it came from.
// MODEL_PATH comes back resolved (resolve_model_name).
Result<Settings> load_settings(const std::map<std::string, std::string>& flags,
                               const EnvLookup& env, std::optional<std::string> config_path);

// MODELS_DIR, or DATA_DIR/models when it is empty.
std::string models_dir_of(const Settings& settings);
// MODEL_PATH when it names an existing file; else the model of that name in
// the models directory (NAME or NAME.gguf) when there is one; else as given.
std::string resolve_model_name(const Settings& settings);

}  // namespace clawbot::service
