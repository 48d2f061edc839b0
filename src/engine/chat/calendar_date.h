#pragma once
// The date templates print ("Today Date: 27 Nov 2026"): a parameter of
// rendering, so prompts are reproducible in tests and the same for every
// request of a day.
#include <string>
#include <string_view>

namespace clawbot::chat {

struct CalendarDate {
    int year = 1970;
    unsigned month = 1;  // 1..12
    unsigned day = 1;    // 1..31
};

// Today in the server's local time zone (what llama.cpp's strftime_now uses).
CalendarDate local_today();

// strftime for a date at midnight: %Y %y %m %d %e %j %b %B %h %a %A %u %w
// %H %I %M %S %p %F %D %%, and glibc's %-d / %-m without zero padding.
// Anything else is copied as written.
std::string format_date(const CalendarDate& date, std::string_view format);

}  // namespace clawbot::chat
