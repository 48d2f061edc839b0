#pragma once
// `clawbot serve`: wires settings, store, provider, metrics and the HTTP
// server together, and runs until SIGTERM/SIGINT (drain, exit 0). SIGHUP
// reopens the log file.
#include "service/config/settings.h"

namespace clawbot::service {

// Returns the process exit code; prints one-line errors to stderr.
int run_server(const Settings& settings);

}  // namespace clawbot::service
