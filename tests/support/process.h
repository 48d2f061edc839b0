#pragma once
// Runs a command through the shell and captures its exit code, stdout and
// stderr, for tests of the real `clawbot` binary.
#include <map>
#include <optional>
#include <string>

namespace clawbot::test {

struct ProcessResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// `args` is appended to the binary path verbatim (quote as for sh).
ProcessResult run_clawbot(const std::string& args);
// As run_clawbot, with `prefix` (shell text such as "cd DIR && ") before the command.
ProcessResult run_with_prefix(const std::string& prefix, const std::string& args);
// As run_clawbot, with the child's environment changed first: each entry
// sets NAME to its value, or unsets NAME when the value is nullopt.
ProcessResult run_clawbot_with_env(const std::string& args,
                                   const std::map<std::string, std::optional<std::string>>& env);
std::string shell_quote(const std::string& s);

}  // namespace clawbot::test
