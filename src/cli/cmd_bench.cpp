#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <iostream>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/bench_batched.h"
#include "cli/bench_stats.h"
#include "cli/commands.h"
#include "engine/scheduler/run_to_end.h"
#include "engine/model/model.h"

namespace clawbot::cli {
// Through the engine that serves users, one request at a time: prefill is
// the time to the first token (the whole random prompt, as the scheduler
// slices it), decode the time per token after it, greedy, never stopping at
// an end-of-generation token. Each run has a prompt of its own, so no run
// reuses another's cached prefix; one untimed warm-up run comes first so
// page faults of the mapped weights are not counted.
int run_bench(const BenchOptions& o) {
    std::vector<int> batch_sizes;
    if (!o.batches.empty()) {
        auto sizes = parse_batch_sizes(o.batches);
        if (!sizes) return fail(sizes.error().message);
        batch_sizes = std::move(*sizes);
    }
    const auto load_start = std::chrono::steady_clock::now();
    auto model = Model::load(o.model, LoadOptions{.repack = !o.no_repack});
    const double load_s = seconds_since(load_start);
    if (!model) return fail(model.error().message);
    const Model& m = **model;
    const int threads = resolve_threads(o.threads);
    std::shared_ptr<const Grammar> grammar;
    std::shared_ptr<const TokenTrie> vocab;
    if (!o.grammar_file.empty()) {
        std::ifstream in(o.grammar_file, std::ios::binary);
        if (!in) return fail("cannot read the grammar file " + o.grammar_file);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto parsed = Grammar::parse(text);
        if (!parsed) return fail(o.grammar_file + ": " + parsed.error().message);
        grammar = std::make_shared<const Grammar>(std::move(parsed).value());
        vocab = std::make_shared<const TokenTrie>(TokenTrie::from_tokenizer(m.tokenizer()));
    }
    std::vector<double> prefill_rates, decode_rates;
    {
        EngineOptions engine_options;
        engine_options.threads = threads;
        engine_options.context_size = o.prompt_tokens + o.gen_tokens + 1;
        engine_options.max_batch_size = 1;
        engine_options.max_queue = 1;
        engine_options.step_token_budget = std::max(o.prompt_tokens, 256);  // the whole prompt in one step
        InferenceEngine engine(m, engine_options);
        std::mt19937 rng(42);
        std::uniform_int_distribution<TokenId> pick(0, m.config().n_vocab - 1);
        for (int run = 0; run <= o.repetitions; ++run) {
            GenerationRequest request;
            request.prompt.resize(static_cast<size_t>(o.prompt_tokens));
            for (TokenId& t : request.prompt) t = pick(rng);
            request.max_tokens = o.gen_tokens + 1;  // the first comes with the prefill
            request.sampling.temperature = 0.0f;
            request.stop_at_eog = false;
            // Greedy under the grammar; where it may end, end-of-generation
            // tokens come out like others and the grammar stays where it is.
            request.grammar = grammar;
            request.grammar_vocab = vocab;
            auto result = run_to_end(engine, std::move(request));
            if (!result) return fail(result.error().message);
            const std::vector<double>& at = result->token_times_s;
            if (static_cast<int>(at.size()) != o.gen_tokens + 1) return fail("the engine stopped early");
            if (run == 0) continue;  // warm-up
            prefill_rates.push_back(o.prompt_tokens / at.front());
            decode_rates.push_back(o.gen_tokens / (at.back() - at.front()));
        }
    }
    const double prefill = median(prefill_rates), decode = median(decode_rates);
    std::vector<BatchFigures> batches;
    double barrier_us = 0;
    if (!batch_sizes.empty()) {
        auto figures = bench_batches(m, threads, batch_sizes, o.prompt_tokens, o.gen_tokens, o.repetitions);
        if (!figures) return fail(figures.error().message);
        batches = std::move(*figures);
        ThreadPool pool(threads);
        barrier_us = thread_pool_barrier_us(pool);
    }
    if (o.json) {
        nlohmann::json out{{"model", o.model},
                           {"prefill_tok_s", prefill},
                           {"decode_tok_s", decode},
                           {"prompt_tokens", o.prompt_tokens},
                           {"gen_tokens", o.gen_tokens},
                           {"threads", threads},
                           {"repetitions", o.repetitions},
                           {"grammar", o.grammar_file},
                           {"load_s", load_s},
                           {"repacked_matrices", m.packing().matrices},
                           {"repack_s", m.packing().seconds},
                           {"prefill_runs_tok_s", prefill_rates},
                           {"decode_runs_tok_s", decode_rates}};
        if (!batches.empty()) {
            out["batches"] = nlohmann::json::array();
            for (const BatchFigures& b : batches) {
                out["batches"].push_back({{"batch", b.batch}, {"prefill_tok_s", b.prefill_tok_s}, {"decode_tok_s", b.decode_tok_s},
                                            {"same_tokens_as_alone", b.same_tokens_as_alone}});
            }
            out["barrier_us"] = barrier_us;
        }
        std::cout << out.dump() << "\n";
    } else {
        std::printf("model %s, %d threads, median of %d runs%s%s\n", o.model.c_str(), threads, o.repetitions,
                    grammar ? ", under the grammar " : "", o.grammar_file.c_str());
        std::printf("load %.2f s (%d matrices repacked in %.2f s)\n", load_s, m.packing().matrices, m.packing().seconds);
        std::printf("prefill %d tokens: %.2f tok/s\n", o.prompt_tokens, prefill);
        std::printf("decode  %d tokens: %.2f tok/s\n", o.gen_tokens, decode);
        for (const BatchFigures& b : batches) {
            std::printf("batch %3d: prefill %.1f tok/s, aggregate decode %.1f tok/s\n", b.batch, b.prefill_tok_s, b.decode_tok_s);
        }
        if (!batches.empty()) std::printf("thread pool barrier: %.2f us per run\n", barrier_us);
    }
    return 0;
}

}  // namespace clawbot::cli
