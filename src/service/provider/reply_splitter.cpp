#include "service/provider/reply_splitter.h"

#include <random>

#include <nlohmann/json.hpp>

namespace clawbot::service {
namespace {

constexpr std::string_view kThinkOpen = "<think>";
constexpr std::string_view kThinkClose = "</think>";

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::string_view trim_leading_space(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    return s;
}

// How many bytes at the end of `text` are a proper beginning of `marker`.
size_t partial_marker_tail(std::string_view text, std::string_view marker) {
    for (size_t n = std::min(text.size(), marker.size() - 1); n > 0; --n) {
        if (text.substr(text.size() - n) == marker.substr(0, n)) return n;
    }
    return 0;
}

// Syntaxes whose call is a bare JSON object: only a reply that starts with
// one is a call (a JSON example in the middle of an answer is not).
bool starts_only_at_reply_start(ToolCallSyntax syntax) {
    return syntax == ToolCallSyntax::Llama3 || syntax == ToolCallSyntax::Generic;
}

}  // namespace

std::string new_tool_call_id(ToolCallSyntax syntax) {
    static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    thread_local std::mt19937_64 random{std::random_device{}()};
    const bool mistral = syntax == ToolCallSyntax::Mistral;
    std::string id = mistral ? "" : "call_";
    for (int i = 0; i < (mistral ? 9 : 24); ++i) id += kAlphabet[random() % kAlphabet.size()];
    return id;
}

ReplySplitter::ReplySplitter(std::shared_ptr<CompletionHandler> next, ReplySplitting how)
    : next_(std::move(next)), how_(how),
      phase_(!how.think ? Phase::Content : how.starts_in_think ? Phase::Thinking : Phase::ThinkOpen) {}

void ReplySplitter::on_delta(const CompletionDelta& delta) {
    held_ += delta.content;
    logprobs_.insert(logprobs_.end(), delta.logprobs.begin(), delta.logprobs.end());
    // Each phase may hand the rest of the held text to the next.
    if (phase_ == Phase::ThinkOpen) feed_think_open();
    if (phase_ == Phase::Thinking) feed_thinking();
    if (phase_ == Phase::Content) feed_content();
}

void ReplySplitter::feed_think_open() {
    const std::string_view text = trim_leading_space(held_);
    if (text.size() < kThinkOpen.size() && kThinkOpen.starts_with(text)) return;  // may still open
    if (text.starts_with(kThinkOpen)) {
        held_.erase(0, held_.size() - text.size() + kThinkOpen.size());
        phase_ = Phase::Thinking;
    } else {
        phase_ = Phase::Content;
    }
}

void ReplySplitter::feed_thinking() {
    const size_t close = held_.find(kThinkClose);
    if (close == std::string::npos) {
        const size_t keep = partial_marker_tail(held_, kThinkClose);
        emit_reasoning(std::string_view(held_).substr(0, held_.size() - keep));
        held_.erase(0, held_.size() - keep);
        return;
    }
    emit_reasoning(std::string_view(held_).substr(0, close));
    held_.erase(0, close + kThinkClose.size());
    after_think_ = true;
    phase_ = Phase::Content;
}

void ReplySplitter::feed_content() {
    if (!how_.tools || held_.empty()) {
        emit_content(held_);
        held_.clear();
        return;
    }
    const ToolCallSyntax syntax = *how_.tools;
    if (content_started_ && starts_only_at_reply_start(syntax)) {
        emit_content(held_);
        held_.clear();
        return;
    }
    const auto start = find_tool_call_start(syntax, held_);
    if (!start) {
        emit_content(held_);
        held_.clear();
        return;
    }
    emit_content(std::string_view(held_).substr(0, start->offset));
    held_.erase(0, start->offset);
    if (start->complete) phase_ = Phase::Call;
}

void ReplySplitter::emit_content(std::string_view text) {
    // The answer after the reasoning starts at its first visible character.
    if (after_think_) text = trim_leading_space(text);
    if (text.empty()) return;
    after_think_ = false;
    if (!content_started_) content_started_ = !trim_leading_space(text).empty();
    CompletionDelta d;
    d.content = text;
    d.logprobs = logprobs_;
    next_->on_delta(d);
    logprobs_.clear();
}

void ReplySplitter::emit_reasoning(std::string_view text) {
    if (text.empty()) return;
    CompletionDelta d;
    d.reasoning = text;
    d.logprobs = logprobs_;
    next_->on_delta(d);
    logprobs_.clear();
}

void ReplySplitter::on_done(FinishKind finish, const CompletionUsage& usage) {
    if (phase_ == Phase::Thinking) {
        emit_reasoning(held_);  // cut off while thinking
    } else if (phase_ == Phase::Call) {
        auto calls = parse_tool_calls(*how_.tools, held_);
        if (calls && !calls->empty()) {
            nlohmann::json out = nlohmann::json::array();
            for (size_t i = 0; i < calls->size(); ++i) {
                const ParsedToolCall& c = (*calls)[i];
                out.push_back({{"index", i},
                               {"id", c.id.empty() ? new_tool_call_id(*how_.tools) : c.id},
                               {"type", "function"},
                               {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
            }
            const std::string text = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            CompletionDelta d;
            d.tool_calls = text;
            d.logprobs = logprobs_;
            next_->on_delta(d);
            logprobs_.clear();
            if (finish == FinishKind::Stop) finish = FinishKind::ToolCalls;
        } else {
            emit_content(held_);
        }
    } else {
        emit_content(held_);
    }
    held_.clear();
    if (!logprobs_.empty()) {  // tokens whose text never showed (a marker)
        CompletionDelta d;
        d.logprobs = logprobs_;
        next_->on_delta(d);
        logprobs_.clear();
    }
    next_->on_done(finish, usage);
}

}  // namespace clawbot::service
