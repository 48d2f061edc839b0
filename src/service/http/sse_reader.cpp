#include "service/http/sse_reader.h"

namespace clawbot::service {

bool SseReader::feed(std::string_view bytes) {
    if (overflow_) return false;
    partial_.append(bytes);
    size_t start = 0;
    for (size_t nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n', start)) {
        std::string_view line(partial_.data() + start, nl - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        take_line(line);
        start = nl + 1;
    }
    partial_.erase(0, start);
    if (partial_.size() > kMaxLineBytes || data_.size() > kMaxLineBytes) overflow_ = true;
    return !overflow_;
}

std::optional<std::string> SseReader::next() {
    if (ready_.empty()) return std::nullopt;
    std::string out = std::move(ready_.front());
    ready_.pop_front();
    return out;
}

void SseReader::take_line(std::string_view line) {
    if (line.empty()) {  // a blank line ends the event
        if (has_data_) ready_.push_back(std::move(data_));
        data_.clear();
        has_data_ = false;
        return;
    }
    if (line.rfind("data:", 0) != 0) return;  // comments, event:, id:, retry:
    line.remove_prefix(5);
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (has_data_) data_.push_back('\n');
    data_.append(line);
    has_data_ = true;
}

}  // namespace clawbot::service
