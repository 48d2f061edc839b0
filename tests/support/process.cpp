#include "support/process.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <sys/wait.h>

#include "support/test_support.h"

namespace clawbot::test {

std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// `prefix` goes before the binary (an `env ...` command, or nothing).
ProcessResult run_with_prefix(const std::string& prefix, const std::string& args) {
    const std::string dir = make_temp_dir();
    const std::string out_path = dir + "/out", err_path = dir + "/err";
    const std::string cmd = prefix + shell_quote(clawbot_bin()) + " " + args + " >" + out_path + " 2>" + err_path;
    const int status = std::system(cmd.c_str());
    ProcessResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_file(out_path);
    r.err = read_file(err_path);
    std::filesystem::remove_all(dir);
    return r;
}

ProcessResult run_clawbot(const std::string& args) { return run_with_prefix("", args); }

ProcessResult run_clawbot_with_env(const std::string& args,
                                   const std::map<std::string, std::optional<std::string>>& env) {
    // env takes its -u options before the first NAME=VALUE.
    std::string unset, set;
    for (const auto& [name, value] : env) {
        if (value) set += " " + shell_quote(name + "=" + *value);
        else unset += " -u " + shell_quote(name);
    }
    return run_with_prefix("env" + unset + set + " ", args);
}

}  // namespace clawbot::test
