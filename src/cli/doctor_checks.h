#pragma once
// The checks of `clawbot doctor`, one job each. Every check returns what it
// found as a CheckLine (doctor_report.h) and changes nothing lasting: probe
// files and sockets are removed again, an existing database is only opened.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/doctor_report.h"
#include "common/result.h"
#include "engine/model/model_config.h"
#include "service/config/settings.h"

namespace clawbot::cli::doctor {

// --- settings (doctor_config.cpp) ---------------------------------------------
// The config file itself: present, a regular readable file, parseable, mode
// 0600 (group/world access fails when it holds a secret, else warns), owned
// by the current user or the `clawbot` service user. `path` is the resolved
// config path, nullopt when none is in effect.
CheckLine check_config_file(const std::optional<std::string>& path, bool given_explicitly);
// The loader's verdict on flags, environment and file together.
CheckLine check_settings(const Result<service::Settings>& settings);

// --- network (doctor_port.cpp) ----------------------------------------------------
// Binds HOST:PORT as the server would; when taken, names the process holding it.
CheckLine check_port(const service::Settings& s);

// --- model (doctor_model.cpp, doctor_memory.cpp) -------------------------------------
// What the memory check needs to know of a model that loaded.
struct ModelFacts {
    std::uint64_t file_bytes = 0;
    std::uint64_t weight_bytes = 0;  // resident once loaded (weight_memory: packed copies, REPACK_WEIGHTS)
    ModelConfig config;              // its trained context caps CTX_SIZE
};
// MODEL_PATH set, readable, and loadable by the engine (mapped and validated,
// never run). Fills `facts` when it loaded.
CheckLine check_model(const service::Settings& s, std::optional<ModelFacts>& facts);
// The model file plus the KV cache the engine will allocate, against
// MemTotal/MemAvailable and the cgroup limit.
CheckLine check_memory(const service::Settings& s, const std::optional<ModelFacts>& facts);

// --- machine (doctor_system.cpp) ---------------------------------------------------
// The instruction sets the engine's kernels can use.
CheckLine check_cpu(const service::Settings* s);
// LC_ALL / LC_CTYPE / LANG resolve to a UTF-8 codeset (the guide's "garbled text").
CheckLine check_locale();

// --- storage (doctor_storage.cpp) --------------------------------------------------
// DATA_DIR and its SQLite database, or with STORE=redis://... the Redis
// store: reachable, and configured so acknowledged messages survive.
CheckLine check_data_dir(const service::Settings& s);
// Active tokens in the database: none means nobody can chat, and a server on
// a non-loopback HOST refuses to start.
CheckLine check_access_tokens(const service::Settings& s);
// LOG_FILE, when set, can be opened for appending.
CheckLine check_log_file(const service::Settings& s);

// --- cloud mode (doctor_upstream.cpp) ----------------------------------------------
// PROVIDER=openai: UPSTREAM_URL, UPSTREAM_MODEL and API_KEY set, the upstream
// answers GET /models and accepts the key. The key is never printed.
CheckLine check_upstream(const service::Settings& s);

// --- shared helpers (doctor_text.cpp) ----------------------------------------------
// "1.5 GiB", "300 MiB", "12 KiB", "512 B"
std::string human_bytes(std::uint64_t bytes);
// "0644"
std::string mode_text(unsigned mode);
// Name of a user id, or the number when it has none.
std::string user_name(unsigned uid);
// The URL with any user:password@ part replaced by "***@".
std::string redact_url(const std::string& url);
// Tries to create and remove a file in `dir`; empty on success, else why not.
std::string probe_writable(const std::string& dir);

}  // namespace clawbot::cli::doctor
