#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "engine/model/generator.h"
#include "engine/model/model.h"

namespace clawbot::cli {
namespace {

void print_text(const std::string& text, void*) { std::cout << text << std::flush; }

}  // namespace

int run_generate(const GenerateOptions& o) {
    auto model = Model::load(o.model, LoadOptions{.repack = !o.no_repack});
    if (!model) return fail(model.error().message);
    const Model& m = **model;
    const auto prompt = m.tokenizer().encode(o.prompt, true, false);
    if (prompt.empty()) return fail("the prompt tokenizes to nothing");
    const int ctx = std::min(o.ctx_size, m.config().context_length);
    if (static_cast<int64_t>(prompt.size()) + o.max_tokens > ctx) {
        return fail("context length exceeded: " + std::to_string(prompt.size()) + " prompt tokens + " +
                    std::to_string(o.max_tokens) + " new tokens > " + std::to_string(ctx) + " (--ctx-size)");
    }
    if (o.logits && !o.json) return fail("--logits needs --json");
    ThreadPool pool(resolve_threads(o.threads));
    Generator gen(m, pool, ctx);
    std::vector<float> last_logits;
    if (o.logits) {
        // The prompt alone first, for its logits; then the usual run from a
        // fresh sequence, so the continuation is the same as without --logits.
        auto fed = gen.feed(prompt);
        if (!fed) return fail(fed.error().message);
        last_logits.assign(fed->begin(), fed->end());
        gen.reset();
    }
    SamplerParams params;
    params.temperature = o.temperature;
    params.top_k = o.top_k;
    params.top_p = o.top_p;
    params.min_p = o.min_p;
    params.repeat_penalty = o.repeat_penalty;
    params.frequency_penalty = o.frequency_penalty;
    params.presence_penalty = o.presence_penalty;
    params.seed = o.seed;
    auto result = generate(gen, m, prompt, o.max_tokens, params, o.json ? nullptr : print_text, nullptr);
    if (!result) return fail(result.error().message);
    if (o.json) {
        nlohmann::json out;
        out["prompt_tokens"] = prompt;
        out["tokens"] = result->tokens;
        out["text"] = result->text;
        if (o.logits) out["last_logits"] = last_logits;
        // The detokenizer emits whole UTF-8 characters; replace guards the rest.
        std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
        std::cout << "\n";
    }
    return 0;
}

}  // namespace clawbot::cli
