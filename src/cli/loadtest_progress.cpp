#include "cli/loadtest_progress.h"

#include <cstdio>

#include <unistd.h>

namespace clawbot::cli {

std::string progress_line(const ProgressCounts& c, int bar_width) {
    std::string bar;
    if (bar_width > 0) {
        const long filled = c.turns_total > 0 ? c.turns_done * bar_width / c.turns_total : 0;
        bar = "[" + std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(bar_width - filled), '.') + "] ";
    }
    const double rate = c.elapsed_s > 0 ? static_cast<double>(c.completion_tokens) / c.elapsed_s : 0.0;
    char text[160];
    std::snprintf(text, sizeof text, "%ld/%ld turns  %ld errors  %.1f tok/s  %.1f s", c.turns_done, c.turns_total, c.errors,
                  rate, c.elapsed_s);
    return bar + text;
}

ProgressDisplay::ProgressDisplay() : tty_(isatty(STDERR_FILENO) == 1) {}

std::chrono::milliseconds ProgressDisplay::interval() const {
    return tty_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(5000);
}

void ProgressDisplay::show(const ProgressCounts& c) {
    if (tty_) {
        // \r and clear-to-end-of-line: redraw in place without scrolling.
        std::fprintf(stderr, "\r%s\033[K", progress_line(c, 30).c_str());
    } else {
        std::fprintf(stderr, "loadtest: %s\n", progress_line(c, 0).c_str());
    }
    std::fflush(stderr);
    drawn_ = true;
}

void ProgressDisplay::finish() {
    if (tty_ && drawn_) std::fputc('\n', stderr);
}

}  // namespace clawbot::cli
