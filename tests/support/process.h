#pragma once
// Runs a command through the shell and captures its exit code, stdout and
// stderr, for tests of the real `clawbot` binary.
#include <string>

namespace clawbot::test {

struct ProcessResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// `args` is appended to the binary path verbatim (quote as for sh).
ProcessResult run_clawbot(const std::string& args);
std::string shell_quote(const std::string& s);

}  // namespace clawbot::test
