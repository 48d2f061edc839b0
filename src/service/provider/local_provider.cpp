#include "service/provider/local_provider.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "service/provider/history_fit.h"
#include "service/provider/prompt_tokens.h"
#include "service/provider/stop_matcher.h"

namespace clawbot::service {
namespace {

// Adapts engine events to a CompletionHandler, cutting the text at stop
// strings (and then cancelling the engine request).
class HandlerSink final : public TokenSink {
public:
    HandlerSink(std::shared_ptr<CompletionHandler> handler, std::vector<std::string> stops,
                std::shared_ptr<RequestControl> control, int truncated_turns)
        : handler_(std::move(handler)), stops_(std::move(stops)), control_(std::move(control)),
          truncated_turns_(truncated_turns) {}

    void on_token(TokenId, std::string_view text) override {
        if (stops_.stopped()) return;
        const std::string out = stops_.push(text);
        if (!out.empty()) handler_->on_delta(out);
        if (stops_.stopped()) {
            control_->cancel();
        }
    }

    void on_queued(int position) override { handler_->on_queued(position); }

    void on_finish(FinishReason reason, const Usage& usage, std::string_view error) override {
        if (reason == FinishReason::Error) {
            handler_->on_error(StartError{StartErrorCode::Internal, std::string(error)});
            return;
        }
        const std::string rest = stops_.flush();
        if (!rest.empty()) handler_->on_delta(rest);
        const CompletionUsage u{usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens, truncated_turns_};
        FinishKind kind = FinishKind::Stop;
        if (stops_.stopped()) {
            kind = FinishKind::Stop;
        } else if (reason == FinishReason::Length) {
            kind = FinishKind::Length;
        } else if (reason == FinishReason::Cancelled) {
            kind = FinishKind::Cancelled;
        }
        handler_->on_done(kind, u);
    }

private:
    std::shared_ptr<CompletionHandler> handler_;
    StopMatcher stops_;
    std::shared_ptr<RequestControl> control_;
    int truncated_turns_;
};

class EngineControl final : public CompletionControl {
public:
    explicit EngineControl(std::shared_ptr<RequestControl> control) : control_(std::move(control)) {}
    void cancel() override { control_->cancel(); }

private:
    std::shared_ptr<RequestControl> control_;
};

}  // namespace

Result<std::unique_ptr<LocalProvider>> LocalProvider::create(const std::string& model_path, const LoadOptions& load,
                                                                   const EngineOptions& options) {
    auto model = Model::load(model_path, load);
    if (!model) return model.error();
    std::unique_ptr<LocalProvider> p(new LocalProvider());
    p->model_ = std::move(*model);
    const Tokenizer& tok = p->model_->tokenizer();
    const std::string bos = tok.bos() >= 0 ? tok.token_to_piece(tok.bos(), true) : "";
    const std::string eos = tok.eos() >= 0 ? tok.token_to_piece(tok.eos(), true) : "";
    p->template_ = std::make_unique<chat::ChatTemplate>(
        chat::ChatTemplate::from_model(p->model_->file().get_string("tokenizer.chat_template"), bos, eos));
    p->bos_text_ = bos;
    p->engine_ = std::make_unique<InferenceEngine>(*p->model_, options);
    p->name_ = std::filesystem::path(model_path).stem().string();
    return p;
}

Result<std::vector<TokenId>> LocalProvider::prompt_tokens(const CompletionRequest& request) const {
    std::vector<chat::ChatMessage> messages;
    messages.reserve(request.messages.size());
    for (const ChatTurn& t : request.messages) messages.push_back({t.role, t.content});
    // Control tokens in the template (<|im_start|>, ...) become those
    // tokens; the same text in a message stays text.
    return tokenize_prompt(*template_, model_->tokenizer(), messages, bos_text_);
}

StartResult LocalProvider::start(const CompletionRequest& request, std::shared_ptr<CompletionHandler> handler) {
    // Without a limit a reply may use the rest of the context, up to a cap
    // that keeps one request from holding the KV cache for minutes.
    constexpr int kDefaultMaxTokens = 1024;
    const int context = engine_->options().context_size;
    const int wanted = request.max_tokens > 0 ? request.max_tokens : kDefaultMaxTokens;
    // A long conversation drops its oldest turns rather than fail: enough of
    // them that the reply gets what it asked for, or a quarter of the
    // context if it asked for more.
    FitLimits limits{context, std::min(wanted, std::max(context / 4, 1))};
    const Tokenizer& tokenizer = model_->tokenizer();
    auto fitted = fit_history(
        request.messages, limits,
        [&](const std::vector<ChatTurn>& turns) {
            CompletionRequest part;
            part.messages = turns;
            return prompt_tokens(part);
        },
        [&](const ChatTurn& turn) { return static_cast<int>(tokenizer.encode(turn.content, false, false).size()); });
    if (!fitted) return {nullptr, StartError{StartErrorCode::InvalidRequest, fitted.error().message}};
    GenerationRequest g;
    g.prompt = std::move(fitted->tokens);
    const int room = context - static_cast<int>(g.prompt.size());
    if (room < 1) {
        return {nullptr, StartError{StartErrorCode::ContextLengthExceeded,
                                    "the prompt is " + std::to_string(g.prompt.size()) + " tokens; the context holds " +
                                        std::to_string(context)}};
    }
    // A max_tokens past what fits is clamped, not refused.
    g.max_tokens = std::min(wanted, room);
    g.sampling.temperature = request.temperature;
    g.sampling.top_p = request.top_p;
    g.sampling.seed = request.seed.value_or(std::random_device{}());
    auto control = std::make_shared<RequestControl>();
    g.control = control;
    g.sink = std::make_shared<HandlerSink>(std::move(handler), request.stop, control, fitted->dropped_turns);
    auto submitted = engine_->submit(std::move(g));
    if (auto* failure = std::get_if<SubmitFailure>(&submitted)) {
        switch (failure->code) {
            case SubmitError::QueueFull: {
                const int retry_after = static_cast<int>(std::ceil(engine_->estimated_wait_s()));
                return {nullptr, StartError{StartErrorCode::Overloaded, failure->message, std::max(retry_after, 1)}};
            }
            case SubmitError::ContextLengthExceeded:
                return {nullptr, StartError{StartErrorCode::ContextLengthExceeded, failure->message}};
            case SubmitError::InvalidRequest: return {nullptr, StartError{StartErrorCode::InvalidRequest, failure->message}};
            case SubmitError::ShuttingDown: return {nullptr, StartError{StartErrorCode::Unavailable, failure->message}};
        }
    }
    return {std::make_shared<EngineControl>(control), std::nullopt};
}

Provider::Load LocalProvider::load() const {
    const EngineStats s = engine_->stats();
    return {s.running, s.waiting, s.kv_blocks_total, s.kv_blocks_free, s.kv_blocks_cached, s.prefix_hit_tokens, s.tokens_generated};
}

}  // namespace clawbot::service
