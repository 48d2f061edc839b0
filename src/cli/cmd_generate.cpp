#include <algorithm>
#include <iostream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "engine/model/model.h"
#include "engine/scheduler/run_to_end.h"

namespace clawbot::cli {
namespace {

// A prompt piped in (`-p -`, or no --prompt): all of standard input, up to
// a bound no prompt reaches. A terminal is refused rather than waited on.
Result<std::string> prompt_from_stdin() {
    constexpr size_t kMaxPromptBytes = 16u << 20;
    if (isatty(STDIN_FILENO)) return make_error("no prompt: give --prompt TEXT, or pipe it in (echo TEXT | clawbot generate -m M)");
    std::string text;
    char buffer[65536];
    while (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0) {
        text.append(buffer, static_cast<size_t>(std::cin.gcount()));
        if (text.size() > kMaxPromptBytes) return make_error("the prompt on standard input is larger than 16 MiB");
    }
    return text;
}

}  // namespace

// Runs the prompt through the same engine and scheduler that serve users,
// as a batch of one.
int run_generate(const GenerateOptions& o) {
    std::string text = o.prompt;
    if (text.empty() || text == "-") {
        auto piped = prompt_from_stdin();
        if (!piped) return fail(piped.error().message);
        text = std::move(piped).value();
        if (text.empty()) return fail("the prompt on standard input is empty");
    }
    auto model = Model::load(o.model, LoadOptions{.repack = !o.no_repack});
    if (!model) return fail(model.error().message);
    const Model& m = **model;
    const auto prompt = m.tokenizer().encode(text, true, false);
    if (prompt.empty()) return fail("the prompt tokenizes to nothing");
    const int ctx = std::min(o.ctx_size, m.config().context_length);
    if (static_cast<int64_t>(prompt.size()) + o.max_tokens > ctx) {
        return fail("context length exceeded: " + std::to_string(prompt.size()) + " prompt tokens + " +
                    std::to_string(o.max_tokens) + " new tokens > " + std::to_string(ctx) + " (--ctx-size)");
    }
    if (o.logits && !o.json) return fail("--logits needs --json");
    EngineOptions engine_options;
    engine_options.threads = resolve_threads(o.threads);
    engine_options.context_size = ctx;
    engine_options.max_batch_size = 1;
    engine_options.max_queue = 1;
    InferenceEngine engine(m, engine_options);

    GenerationRequest request;
    request.prompt = prompt;
    request.max_tokens = o.max_tokens;
    request.want_logits = o.logits;
    SamplerParams& params = request.sampling;
    params.temperature = o.temperature;
    params.top_k = o.top_k;
    params.top_p = o.top_p;
    params.min_p = o.min_p;
    params.repeat_penalty = o.repeat_penalty;
    params.frequency_penalty = o.frequency_penalty;
    params.presence_penalty = o.presence_penalty;
    params.seed = o.seed;
    std::function<void(std::string_view)> print;
    if (!o.json) print = [](std::string_view text) { std::cout << text << std::flush; };
    auto result = run_to_end(engine, std::move(request), print);
    if (!result) return fail(result.error().message);
    if (o.json) {
        nlohmann::json out;
        out["prompt_tokens"] = prompt;
        out["tokens"] = result->tokens;
        out["text"] = result->text;
        if (o.logits) out["last_logits"] = result->first_logits;
        // The detokenizer emits whole UTF-8 characters; replace guards the rest.
        std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
        std::cout << "\n";
    }
    return 0;
}

}  // namespace clawbot::cli
