#include "cli/loadtest_stream.h"

#include <nlohmann/json.hpp>

namespace clawbot::cli {
namespace {

double seconds(LoadClock::duration d) { return std::chrono::duration<double>(d).count(); }

// The text of choices[0].delta.content, or "" when the chunk has none
// (the role-only first chunk, the finish chunk, the usage chunk).
std::string delta_content(const nlohmann::json& chunk) {
    auto choices = chunk.find("choices");
    if (choices == chunk.end() || !choices->is_array() || choices->empty()) return "";
    const auto& first = (*choices)[0];
    if (!first.is_object()) return "";
    auto delta = first.find("delta");
    if (delta == first.end() || !delta->is_object()) return "";
    auto content = delta->find("content");
    return content != delta->end() && content->is_string() ? content->get<std::string>() : "";
}

}  // namespace

void CompletionStream::on_payload(std::string_view payload, LoadClock::time_point now) {
    if (finished()) return;
    if (payload == "[DONE]") {
        done_ = true;
        return;
    }
    const auto chunk = nlohmann::json::parse(payload, nullptr, false);
    if (chunk.is_discarded() || !chunk.is_object()) {
        error_ = "malformed";
        return;
    }
    if (chunk.contains("error")) {  // the server gave up mid-stream
        error_ = "stream_error";
        return;
    }
    if (auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) {
        auto tokens = usage->find("completion_tokens");
        if (tokens == usage->end() || !tokens->is_number_integer()) {
            error_ = "malformed";
            return;
        }
        out_.completion_tokens = tokens->get<long>();
        usage_seen_ = true;
    }
    const std::string text = delta_content(chunk);
    if (text.empty()) return;
    if (!out_.ttft_s) out_.ttft_s = seconds(now - started_);
    if (last_content_) out_.gaps_s.push_back(seconds(now - *last_content_));
    last_content_ = now;
    out_.content += text;
}

RequestOutcome CompletionStream::take() {
    out_.error = error_;
    if (out_.error.empty() && (!done_ || !usage_seen_)) out_.error = "malformed";
    return std::move(out_);
}

}  // namespace clawbot::cli
