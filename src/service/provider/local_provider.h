#pragma once
// Provider backed by the in-process inference engine: renders the chat
// template, tokenizes, and streams the engine's tokens back as text.
#include <memory>
#include <mutex>
#include <string>

#include "engine/chat/chat_template.h"
#include "common/result.h"
#include "engine/model/model.h"
#include "engine/scheduler/engine.h"
#include "service/provider/delivery_sink.h"
#include "service/provider/provider.h"
#include "service/provider/reply_splitter.h"
#include "service/provider/tool_call_syntax.h"

namespace clawbot::service {

class LocalProvider final : public Provider {
public:
    // Loads the model and starts the engine thread. `deliver` runs each
    // request's output drain (delivery_sink.h) off the engine thread; it
    // must keep working until this provider is destroyed. `chat_template`:
    // a Jinja template to use in place of the model's own; one that cannot
    // render a conversation is an error (never a silent fallback).
    static Result<std::unique_ptr<LocalProvider>> create(const std::string& model_path, const LoadOptions& load,
                                                         const EngineOptions& options, DeliverySink::Post deliver,
                                                         const std::optional<std::string>& chat_template = std::nullopt);

    std::string model_name() const override { return name_; }
    const Model& model() const { return *model_; }
    std::optional<std::string> not_ready_reason() const override { return std::nullopt; }
    int context_size() const override { return engine_->options().context_size; }
    StartResult start(const CompletionRequest& request, std::shared_ptr<CompletionHandler> handler) override;
    StartResult embed(std::vector<std::string> inputs, std::shared_ptr<EmbeddingHandler> handler) override;
    Load load() const override;

    const InferenceEngine& engine() const { return *engine_; }

private:
    LocalProvider() = default;
    Result<std::vector<TokenId>> prompt_tokens(const CompletionRequest& request) const;
    // The vocabulary as a trie for grammar masks: built by the first
    // constrained request (about 0.1 s for 150k tokens), then shared.
    // with_control_text: the one for replies that render control tokens.
    std::shared_ptr<const TokenTrie> grammar_vocab(bool with_control_text = false);
    // How the reply is split (reasoning, tool calls), or nullopt to pass it
    // on as it is.
    std::optional<ReplySplitting> reply_splitting(const CompletionRequest& request, std::span<const TokenId> prompt) const;
    // A grammar that forces tool calls, for tool_choice required or named.
    Result<std::string> forced_call_grammar(const CompletionRequest& request) const;
    // Client text that would read as the model's control tokens where the
    // template prints it unmarked (object keys in tools and arguments).
    std::optional<std::string> control_text_in_tools(const CompletionRequest& request) const;

    std::unique_ptr<Model> model_;
    std::unique_ptr<chat::ChatTemplate> template_;
    std::string bos_text_;
    std::unique_ptr<InferenceEngine> engine_;
    std::string name_;
    DeliverySink::Post deliver_;
    std::mutex vocab_mutex_;
    std::shared_ptr<const TokenTrie> vocab_;
    std::shared_ptr<const TokenTrie> vocab_with_control_;
    ToolCallSyntax tool_syntax_ = ToolCallSyntax::Generic;
    bool thinks_ = false;  // the template writes <think> blocks
};

}  // namespace clawbot::service
