#pragma once
// The load tool's progress on stderr: a bar redrawn in place on a terminal,
// else (a log, CI) a plain line every few seconds.
#include <chrono>
#include <string>

namespace clawbot::cli {

struct ProgressCounts {
    long turns_done = 0;
    long turns_total = 0;
    long errors = 0;
    long completion_tokens = 0;
    double elapsed_s = 0;
};

class ProgressDisplay {
public:
    ProgressDisplay();  // looks whether stderr is a terminal

    // How often show() is worth calling.
    std::chrono::milliseconds interval() const;
    void show(const ProgressCounts& c);
    // Ends the bar's line so the report starts on a fresh one.
    void finish();

private:
    bool tty_;
    bool drawn_ = false;
};

// "[#####.....] 12/24 turns  0 errors  31.2 tok/s  4.1 s" (width in cells).
std::string progress_line(const ProgressCounts& c, int bar_width);

}  // namespace clawbot::cli
