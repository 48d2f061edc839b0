#include "service/provider/local_provider.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "service/provider/history_fit.h"
#include "service/provider/prompt_tokens.h"
#include "service/provider/delivery_sink.h"
#include "service/provider/embedding_batch.h"
#include "service/provider/tool_call_grammar.h"
#include "service/provider/tool_prompt.h"

#include <nlohmann/json.hpp>

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
    const std::string& source = p->template_->model_template_source();
    p->tool_syntax_ = tool_call_syntax_of(source);
    p->thinks_ = source.find("<think>") != std::string::npos;
    p->engine_ = std::make_unique<InferenceEngine>(*p->model_, options);
    p->name_ = std::filesystem::path(model_path).stem().string();
    return p;
}

Result<std::vector<TokenId>> LocalProvider::prompt_tokens(const CompletionRequest& request) const {
    ToolPromptInputs in;
    in.turns = request.messages;
    if (request.tool_choice != ToolChoice::None) in.tools_json = request.tools_json;
    in.rendering = template_->tool_rendering();
    in.syntax = tool_syntax_;
    const ToolPrompt prompt = build_tool_prompt(in);
    // Control tokens in the template (<|im_start|>, ...) become those
    // tokens; the same text in a message stays text.
    return tokenize_prompt(*template_, model_->tokenizer(), prompt.messages, bos_text_, prompt.tools_json);
}

std::shared_ptr<const TokenTrie> LocalProvider::grammar_vocab(bool with_control_text) {
    std::lock_guard lock(vocab_mutex_);
    std::shared_ptr<const TokenTrie>& vocab = with_control_text ? vocab_with_control_ : vocab_;
    if (!vocab) vocab = std::make_shared<const TokenTrie>(TokenTrie::from_tokenizer(model_->tokenizer(), with_control_text));
    return vocab;
}

std::optional<ReplySplitting> LocalProvider::reply_splitting(const CompletionRequest& request,
                                                             std::span<const TokenId> prompt) const {
    if (request.raw_prompt) return std::nullopt;
    ReplySplitting how;
    if (!request.tools_json.empty() && request.tool_choice != ToolChoice::None) how.tools = tool_syntax_;
    // A forced call is the whole reply: no reasoning before it.
    how.think = thinks_ && request.tool_choice != ToolChoice::Required && request.tool_choice != ToolChoice::Named;
    if (how.think) {
        // DeepSeek-R1's template opens the <think> block itself.
        const Tokenizer& tok = model_->tokenizer();
        std::string tail;
        for (size_t i = prompt.size() > 4 ? prompt.size() - 4 : 0; i < prompt.size(); ++i) tail += tok.token_to_piece(prompt[i], true);
        while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
        how.starts_in_think = tail.ends_with("<think>");
    }
    if (!how.think && !how.tools) return std::nullopt;
    return how;
}

Result<std::string> LocalProvider::forced_call_grammar(const CompletionRequest& request) const {
    const nlohmann::json tools = nlohmann::json::parse(request.tools_json, nullptr, false);
    std::vector<ToolSpec> specs;
    for (const nlohmann::json& t : tools) {
        const nlohmann::json& fn = t["function"];
        const std::string name = fn.value("name", "");
        if (request.tool_choice == ToolChoice::Named && name != request.tool_name) continue;
        specs.push_back({name, fn.contains("parameters") ? fn["parameters"] : nlohmann::json()});
    }
    return forced_tool_call_grammar(tool_syntax_, specs, request.parallel_tool_calls);
}

std::optional<std::string> LocalProvider::control_text_in_tools(const CompletionRequest& request) const {
    // String values are marked as contents and stay text whatever they hold;
    // keys are printed by the template as its own text, so one that spells
    // a control token is refused.
    std::string keys;
    const auto collect = [&](const auto& self, const nlohmann::json& j) -> void {
        if (j.is_object()) {
            for (const auto& [k, v] : j.items()) {
                keys += k;
                keys += '\n';
                self(self, v);
            }
        } else if (j.is_array()) {
            for (const auto& v : j) self(self, v);
        }
    };
    if (!request.tools_json.empty()) collect(collect, nlohmann::json::parse(request.tools_json, nullptr, false));
    for (const ChatTurn& t : request.messages) {
        for (const TurnToolCall& c : t.tool_calls) collect(collect, nlohmann::json::parse(c.arguments, nullptr, false));
    }
    if (keys.empty()) return std::nullopt;
    const Tokenizer& tok = model_->tokenizer();
    for (const TokenId id : tok.encode(keys, false, true)) {
        if (tok.is_control(id) || tok.is_eog(id)) {
            return "a property name in the tools or a tool call's arguments holds the model's control token '" +
                   tok.token_to_piece(id, true) + "'";
        }
    }
    return std::nullopt;
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
                part.tools_json = request.tools_json;
                part.tool_choice = request.tool_choice;
                return prompt_tokens(part);
            },
            [&](const ChatTurn& turn) { return static_cast<int>(tokenizer.encode(turn.content, false, false).size()); });
    }
    if (!fitted) return StartError{StartErrorCode::InvalidRequest, fitted.error().message};
    if (auto control = control_text_in_tools(request)) return StartError{StartErrorCode::InvalidRequest, *control};
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
    const auto splitting = reply_splitting(request, g.prompt);
    // Tool-call markers may be control tokens: the reply shows them, so the
    // splitter can read them. (<think> is plain text in the vocabularies
    // that use it.)
    g.render_control_tokens = splitting && splitting->tools;
    std::string grammar_text = request.grammar;
    const bool forced = !request.tools_json.empty() &&
                        (request.tool_choice == ToolChoice::Required || request.tool_choice == ToolChoice::Named);
    if (forced) {
        auto calls = forced_call_grammar(request);
        if (!calls) return StartError{StartErrorCode::InvalidRequest, "the forced tool call's grammar: " + calls.error().message};
        grammar_text = std::move(calls).value();
    }
    if (!grammar_text.empty()) {
        auto grammar = Grammar::parse(grammar_text);
        if (!grammar) return StartError{StartErrorCode::InvalidRequest, "the output format's grammar: " + grammar.error().message};
        g.grammar = std::make_shared<const Grammar>(std::move(grammar).value());
        g.grammar_vocab = grammar_vocab(g.render_control_tokens);
    }
    if (splitting) handler = std::make_shared<ReplySplitter>(std::move(handler), *splitting);
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
    Load l;
    l.running = s.running;
    l.queued = s.waiting;
    l.kv_blocks_total = s.kv_blocks_total;
    l.kv_blocks_free = s.kv_blocks_free;
    l.kv_blocks_cached = s.kv_blocks_cached;
    l.kv_window_blocks_total = s.kv_window_blocks_total;
    l.kv_window_blocks_free = s.kv_window_blocks_free;
    l.kv_window_blocks_cached = s.kv_window_blocks_cached;
    l.prefix_hit_tokens = s.prefix_hit_tokens;
    l.generated_tokens = s.tokens_generated;
    return l;
}

}  // namespace clawbot::service
