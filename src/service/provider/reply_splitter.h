#pragma once
// Splits a local model's reply into what OpenAI's API keeps apart: the
// reasoning (<think>…</think>, Qwen3 and DeepSeek-R1) as reasoning_content,
// tool calls (in the model family's syntax, tool_call_syntax.h) as
// tool_calls, and the rest as content. It sits between the engine's
// delivery and the route's handler, and streams: content goes on as it
// comes, except for a tail that may still turn out to be a marker; from a
// tool call's start marker on the reply is held, and read when it ends. A
// held reply that does not parse as calls is passed on as content, as the
// model wrote it.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/provider/provider.h"
#include "service/provider/tool_call_syntax.h"

namespace clawbot::service {

struct ReplySplitting {
    bool think = false;             // <think>…</think> at the start of the reply is reasoning
    bool starts_in_think = false;   // the prompt already opened <think> (DeepSeek-R1's template)
    std::optional<ToolCallSyntax> tools;  // tool calls are read in this syntax
};

// A fresh call id: "call_" and 24 letters and digits; Mistral's templates
// want exactly 9 letters and digits.
std::string new_tool_call_id(ToolCallSyntax syntax);

class ReplySplitter final : public CompletionHandler {
public:
    ReplySplitter(std::shared_ptr<CompletionHandler> next, ReplySplitting how);

    void on_delta(const CompletionDelta& delta) override;
    void on_done(FinishKind finish, const CompletionUsage& usage) override;
    void on_error(const StartError& error) override { next_->on_error(error); }
    void on_queued(int position) override { next_->on_queued(position); }

private:
    enum class Phase { ThinkOpen, Thinking, Content, Call };
    void feed_think_open();
    void feed_thinking();
    void feed_content();
    void emit_content(std::string_view text);
    void emit_reasoning(std::string_view text);

    std::shared_ptr<CompletionHandler> next_;
    const ReplySplitting how_;
    Phase phase_;
    std::string held_;                     // text not yet passed on
    std::vector<TokenLogprob> logprobs_;   // of the held text, when asked for
    bool content_started_ = false;         // non-space content went out (bare-JSON calls start only first)
    bool after_think_ = false;             // reasoning ended and no content went out yet
};

}  // namespace clawbot::service
