#include "engine/chat/calendar_date.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace clawbot::chat {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"January",   "February", "March",    "April",
                                                      "May",       "June",     "July",     "August",
                                                      "September", "October",  "November", "December"};
constexpr std::array<std::string_view, 7> kWeekdays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};

std::string padded(long value, int width, char fill = '0') {
    std::string digits = std::to_string(value);
    if (static_cast<int>(digits.size()) < width)
        digits.insert(0, static_cast<std::size_t>(width) - digits.size(), fill);
    return digits;
}

}  // namespace

CalendarDate local_today() {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    return CalendarDate{local.tm_year + 1900, static_cast<unsigned>(local.tm_mon + 1),
                        static_cast<unsigned>(local.tm_mday)};
}

std::string format_date(const CalendarDate& date, std::string_view format) {
    using namespace std::chrono;
    const year_month_day ymd{year{date.year}, month{date.month}, day{date.day}};
    const bool valid = ymd.ok();
    const unsigned weekday_index = valid ? weekday{sys_days{ymd}}.c_encoding() : 0;
    const long day_of_year = valid ? (sys_days{ymd} - sys_days{year{date.year} / January / 1}).count() + 1 : 1;
    const std::string_view month_name = date.month >= 1 && date.month <= 12 ? kMonths[date.month - 1] : "?";
    const std::string_view weekday_name = kWeekdays[weekday_index];

    std::string out;
    for (std::size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%' || i + 1 == format.size()) {
            out += format[i];
            continue;
        }
        char spec = format[++i];
        const bool no_pad = spec == '-' && i + 1 < format.size();
        if (no_pad) spec = format[++i];
        const int width = no_pad ? 0 : 2;
        switch (spec) {
            case 'Y':
                out += std::to_string(date.year);
                break;
            case 'y':
                out += padded(((date.year % 100) + 100) % 100, width);
                break;
            case 'm':
                out += padded(date.month, width);
                break;
            case 'd':
                out += padded(date.day, width);
                break;
            case 'e':
                out += padded(date.day, width, ' ');
                break;
            case 'j':
                out += padded(day_of_year, no_pad ? 0 : 3);
                break;
            case 'b':
            case 'h':
                out += month_name.substr(0, 3);
                break;
            case 'B':
                out += month_name;
                break;
            case 'a':
                out += weekday_name.substr(0, 3);
                break;
            case 'A':
                out += weekday_name;
                break;
            case 'u':
                out += std::to_string(weekday_index == 0 ? 7 : weekday_index);
                break;
            case 'w':
                out += std::to_string(weekday_index);
                break;
            case 'H':
            case 'M':
            case 'S':
                out += padded(0, width);
                break;
            case 'I':
                out += padded(12, width);
                break;
            case 'p':
                out += "AM";
                break;
            case 'F':
                out += std::to_string(date.year) + "-" + padded(date.month, 2) + "-" + padded(date.day, 2);
                break;
            case 'D':
                out += padded(date.month, 2) + "/" + padded(date.day, 2) + "/" +
                       padded(((date.year % 100) + 100) % 100, 2);
                break;
            case '%':
                out += '%';
                break;
            default:
                out += '%';
                if (no_pad) out += '-';
                out += spec;
        }
    }
    return out;
}

}  // namespace clawbot::chat
