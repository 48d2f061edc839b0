#include "cli/doctor_report.h"

#include <ostream>

namespace clawbot::cli::doctor {

CheckLine CheckLine::ok(std::string subject, std::string text) {
    return {Status::Ok, std::move(subject), std::move(text), {}};
}

CheckLine CheckLine::warn(std::string subject, std::string problem, std::string fix) {
    return {Status::Warn, std::move(subject), std::move(problem), std::move(fix)};
}

CheckLine CheckLine::fail(std::string subject, std::string problem, std::string fix) {
    return {Status::Fail, std::move(subject), std::move(problem), std::move(fix)};
}

CheckLine CheckLine::skip(std::string subject, std::string why) {
    return {Status::Skip, std::move(subject), std::move(why), {}};
}

std::string format_line(const CheckLine& line) {
    const char* tag = "OK  ";
    switch (line.status) {
        case Status::Ok: tag = "OK  "; break;
        case Status::Warn: tag = "WARN"; break;
        case Status::Fail: tag = "FAIL"; break;
        case Status::Skip: tag = "SKIP"; break;
    }
    std::string text = std::string(tag) + " " + line.subject + ": " + line.text;
    if (!line.fix.empty()) text += ". Fix: " + line.fix;
    return text;
}

Tally tally(const std::vector<CheckLine>& lines) {
    Tally t;
    for (const CheckLine& line : lines) {
        if (line.status == Status::Skip) continue;
        ++t.checks;
        if (line.status == Status::Fail) ++t.failed;
        if (line.status == Status::Warn) ++t.warnings;
    }
    return t;
}

std::string summary_text(const Tally& t) {
    return std::to_string(t.checks) + " checks: " + std::to_string(t.failed) + " failed, " +
           std::to_string(t.warnings) + (t.warnings == 1 ? " warning" : " warnings");
}

void Report::add(CheckLine line) {
    out_ << format_line(line) << std::endl;
    lines_.push_back(std::move(line));
}

bool Report::any_failed() const { return tally(lines_).failed > 0; }

int Report::finish() {
    const Tally t = tally(lines_);
    out_ << summary_text(t) << std::endl;
    return t.failed > 0 ? 1 : 0;
}

}  // namespace clawbot::cli::doctor
