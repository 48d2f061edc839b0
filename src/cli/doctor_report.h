#pragma once
// What one `clawbot doctor` check found, and how the report is printed:
//   OK   subject: what was found
//   WARN subject: problem. Fix: what to do      (does not fail the run)
//   FAIL subject: problem. Fix: what to do
//   SKIP subject: why it could not run           (not counted as a check)
#include <iosfwd>
#include <string>
#include <vector>

namespace clawbot::cli::doctor {

enum class Status { Ok, Warn, Fail, Skip };

struct CheckLine {
    Status status = Status::Ok;
    std::string subject;  // "port", "model", ...: what the line is about
    std::string text;     // what was found, or the problem
    std::string fix;      // for WARN and FAIL: what to do

    static CheckLine ok(std::string subject, std::string text);
    static CheckLine warn(std::string subject, std::string problem, std::string fix);
    static CheckLine fail(std::string subject, std::string problem, std::string fix);
    static CheckLine skip(std::string subject, std::string why);
};

// One line, no trailing newline.
std::string format_line(const CheckLine& line);

struct Tally {
    int checks = 0;
    int failed = 0;
    int warnings = 0;
};

Tally tally(const std::vector<CheckLine>& lines);
// "N checks: X failed, Y warnings"
std::string summary_text(const Tally& t);

// Prints each line as it is added, so a slow check (the upstream probe)
// shows what was already found.
class Report {
public:
    explicit Report(std::ostream& out) : out_(out) {}
    void add(CheckLine line);
    const std::vector<CheckLine>& lines() const { return lines_; }
    bool any_failed() const;
    // The summary line; returns the process exit code (0 only when nothing failed).
    int finish();

private:
    std::ostream& out_;
    std::vector<CheckLine> lines_;
};

}  // namespace clawbot::cli::doctor
