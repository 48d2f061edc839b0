#pragma once
// Writes the config file for `clawbot init`. The file is private (0600) from
// the moment it exists: it is written as a mkstemp() temp file beside the
// target and then moved into place, so no reader ever sees a looser mode or
// a half-written file.
#include <map>
#include <string>

#include "common/result.h"

namespace clawbot::service {

enum class ExistingConfig {
    Refuse,   // an existing file is an error (the default: init never clobbers)
    Replace,  // replace it atomically; its mode only ever gets stricter (mode & 0600)
};

// `values` is keyed by setting NAME; each is validated as load_settings would,
// so the writer never produces a file the loader refuses.
Result<bool> write_config_file(const std::string& path,
                               const std::map<std::string, std::string>& values,
                               ExistingConfig existing = ExistingConfig::Refuse);

}  // namespace clawbot::service
