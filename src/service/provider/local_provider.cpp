#include "service/provider/local_provider.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "service/provider/history_fit.h"
#include "service/provider/prompt_tokens.h"
#include "service/provider/delivery_sink.h"

namespace clawbot::service {
namespace {

class EngineControl final : public CompletionControl {
public:
    explicit EngineControl(std::shared_ptr<RequestControl> control) : control_(std::move(control)) {}
    void cancel() override { control_->cancel(); }

private:
    std::shared_ptr<RequestControl> control_;
};

}  // namespace

Result<std::unique_ptr<LocalProvider>> LocalProvider::create(const std::string& model_path, const LoadOptions& load,
                                                                   const EngineOptions& options, DeliverySink::Post deliver,
                                                                   const std::optional<std::string>& chat_template) {
    auto model = Model::load(model_path, load);
    if (!model) return model.error();
    std::unique_ptr<LocalProvider> p(new LocalProvider());
    p->deliver_ = std::move(deliver);
    p->model_ = std::move(*model);
    const Tokenizer& tok = p->model_->tokenizer();
    const std::string bos = tok.bos() >= 0 ? tok.token_to_piece(tok.bos(), true) : "";
    const std::string eos = tok.eos() >= 0 ? tok.token_to_piece(tok.eos(), true) : "";
    if (chat_template) {
        p->template_ = std::make_unique<chat::ChatTemplate>(chat::ChatTemplate::from_model(*chat_template, bos, eos));
        // Tried on a small conversation now, so that a broken file stops the
        // start instead of every request quietly getting another format.
        const std::vector<chat::ChatMessage> probe = {{"system", "You are helpful."}, {"user", "Hello"},
                                                      {"assistant", "Hi."}, {"user", "How are you?"}};
        auto rendered = p->template_->render_detailed(probe, chat::ChatRenderOptions{});
        if (!rendered) return make_error("the chat template cannot render a conversation: " + rendered.error().message);
        if (!rendered->from_model_template) {
            return make_error("the chat template cannot render a conversation: " + rendered->fallback_reason);
        }
    } else {
        p->template_ = std::make_unique<chat::ChatTemplate>(
            chat::ChatTemplate::from_model(p->model_->file().get_string("tokenizer.chat_template"), bos, eos));
    }
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

std::shared_ptr<const TokenTrie> LocalProvider::grammar_vocab() {
    std::lock_guard lock(vocab_mutex_);
    if (!vocab_) vocab_ = std::make_shared<const TokenTrie>(TokenTrie::from_tokenizer(model_->tokenizer()));
    return vocab_;
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
    Result<FittedPrompt> fitted = FittedPrompt{};
    if (request.raw_prompt) {
        // Text continued as it is: BOS as the model wants it, and never a
        // control token taken from the text.
        fitted = FittedPrompt{tokenizer.encode(*request.raw_prompt, true, false), 0};
    } else {
        fitted = fit_history(
            request.messages, limits,
            [&](const std::vector<ChatTurn>& turns) {
                CompletionRequest part;
                part.messages = turns;
                return prompt_tokens(part);
            },
            [&](const ChatTurn& turn) { return static_cast<int>(tokenizer.encode(turn.content, false, false).size()); });
    }
    if (!fitted) return StartError{StartErrorCode::InvalidRequest, fitted.error().message};
    if (fitted->tokens.empty()) return StartError{StartErrorCode::InvalidRequest, "the prompt is empty"};
    GenerationRequest g;
    g.prompt = std::move(fitted->tokens);
    const int room = context - static_cast<int>(g.prompt.size());
    if (room < 1) {
        return StartError{StartErrorCode::ContextLengthExceeded,
                          "the prompt is " + std::to_string(g.prompt.size()) + " tokens; the context holds " +
                              std::to_string(context)};
    }
    // A max_tokens past what fits is clamped, not refused.
    g.max_tokens = std::min(wanted, room);
    g.sampling.temperature = request.temperature;
    g.sampling.top_p = request.top_p;
    if (request.top_k) g.sampling.top_k = *request.top_k;
    if (request.min_p) g.sampling.min_p = *request.min_p;
    g.sampling.presence_penalty = request.presence_penalty;
    g.sampling.frequency_penalty = request.frequency_penalty;
    g.sampling.repeat_penalty = request.repetition_penalty;
    for (const LogitBias& b : request.logit_bias) g.sampling.logit_bias.push_back({b.token, b.bias});
    g.sampling.seed = request.seed.value_or(std::random_device{}());
    g.top_logprobs = request.top_logprobs;
    if (!request.grammar.empty()) {
        auto grammar = Grammar::parse(request.grammar);
        if (!grammar) return StartError{StartErrorCode::InvalidRequest, "the output format's grammar: " + grammar.error().message};
        g.grammar = std::make_shared<const Grammar>(std::move(grammar).value());
        g.grammar_vocab = grammar_vocab();
    }
    auto control = std::make_shared<RequestControl>();
    g.control = control;
    auto sink = std::make_shared<DeliverySink>(std::move(handler), request.stop, control, fitted->dropped_turns, deliver_);
    if (request.top_logprobs >= 0) sink->report_logprobs(&tokenizer);
    g.sink = std::move(sink);
    auto submitted = engine_->submit(std::move(g));
    if (!submitted) {
        const SubmitFailure& failure = submitted.error();
        switch (failure.code) {
            case SubmitError::QueueFull: {
                const int retry_after = static_cast<int>(std::ceil(engine_->estimated_wait_s()));
                return StartError{StartErrorCode::Overloaded, failure.message, std::max(retry_after, 1)};
            }
            case SubmitError::ContextLengthExceeded: return StartError{StartErrorCode::ContextLengthExceeded, failure.message};
            case SubmitError::InvalidRequest: return StartError{StartErrorCode::InvalidRequest, failure.message};
            case SubmitError::ShuttingDown: return StartError{StartErrorCode::Unavailable, failure.message};
        }
    }
    return std::shared_ptr<CompletionControl>(std::make_shared<EngineControl>(control));
}

Provider::Load LocalProvider::load() const {
    const EngineStats s = engine_->stats();
    return {s.running, s.waiting, s.kv_blocks_total, s.kv_blocks_free, s.kv_blocks_cached, s.prefix_hit_tokens, s.tokens_generated};
}

}  // namespace clawbot::service
