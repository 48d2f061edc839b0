#include "service/provider/local_provider.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "service/provider/history_fit.h"
#include "service/provider/prompt_tokens.h"
#include "service/provider/delivery_sink.h"
#include "service/provider/embedding_batch.h"

namespace clawbot::service {
namespace {

class EngineControl final : public CompletionControl {
public:
    explicit EngineControl(std::vector<std::shared_ptr<RequestControl>> controls) : controls_(std::move(controls)) {}
    void cancel() override {
        for (const auto& c : controls_) c->cancel();
    }

private:
    std::vector<std::shared_ptr<RequestControl>> controls_;
};

StartError start_error_of(const SubmitFailure& failure, double estimated_wait_s) {
    switch (failure.code) {
        case SubmitError::QueueFull:
            return StartError{StartErrorCode::Overloaded, failure.message, std::max(static_cast<int>(std::ceil(estimated_wait_s)), 1)};
        case SubmitError::ContextLengthExceeded: return StartError{StartErrorCode::ContextLengthExceeded, failure.message};
        case SubmitError::InvalidRequest: return StartError{StartErrorCode::InvalidRequest, failure.message};
        case SubmitError::ShuttingDown: return StartError{StartErrorCode::Unavailable, failure.message};
    }
    return StartError{StartErrorCode::Internal, failure.message};
}

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
    if (!submitted) return start_error_of(submitted.error(), engine_->estimated_wait_s());
    return std::shared_ptr<CompletionControl>(std::make_shared<EngineControl>(std::vector{control}));
}

StartResult LocalProvider::embed(std::vector<std::string> inputs, std::shared_ptr<EmbeddingHandler> handler) {
    const Tokenizer& tokenizer = model_->tokenizer();
    const int context = engine_->options().context_size;
    auto batch = std::make_shared<EmbeddingBatch>(inputs.size(), std::move(handler), deliver_);
    std::vector<GenerationRequest> requests(inputs.size());
    std::vector<std::shared_ptr<RequestControl>> controls;
    for (size_t i = 0; i < inputs.size(); ++i) {
        GenerationRequest& g = requests[i];
        // Text as it is: never a control token taken from it.
        g.prompt = tokenizer.encode(inputs[i], true, false);
        if (g.prompt.empty()) return StartError{StartErrorCode::InvalidRequest, "input " + std::to_string(i) + " is empty"};
        if (static_cast<int>(g.prompt.size()) >= context) {
            return StartError{StartErrorCode::ContextLengthExceeded,
                              "input " + std::to_string(i) + " is " + std::to_string(g.prompt.size()) +
                                  " tokens; the context holds " + std::to_string(context)};
        }
        g.max_tokens = 1;
        g.embed = true;
        g.control = controls.emplace_back(std::make_shared<RequestControl>());
        g.sink = batch->sink(i);
    }
    // All in one step where they fit; any refused fails the whole call (the
    // others are cancelled), so the client gets one clear status.
    auto submitted = engine_->submit_all(std::move(requests));
    std::optional<StartError> refused;
    for (auto& r : submitted) {
        if (r) continue;
        if (!refused) refused = start_error_of(r.error(), engine_->estimated_wait_s());
    }
    if (refused) {
        for (const auto& c : controls) c->cancel();
        for (auto& r : submitted) {
            if (!r) batch->fail(*refused);
        }
    }
    return std::shared_ptr<CompletionControl>(std::make_shared<EngineControl>(std::move(controls)));
}

Provider::Load LocalProvider::load() const {
    const EngineStats s = engine_->stats();
    return {s.running, s.waiting, s.kv_blocks_total, s.kv_blocks_free, s.kv_blocks_cached, s.prefix_hit_tokens, s.tokens_generated};
}

}  // namespace clawbot::service
