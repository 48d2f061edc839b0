#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/bench_batched.h"
#include "cli/bench_stats.h"
#include "cli/commands.h"
#include "engine/model/generator.h"
#include "engine/model/model.h"

namespace clawbot::cli {
// Prefill: the whole random prompt in one batch. Decode: one token at a
// time, greedy, as a user's stream would. One untimed warm-up run first so
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
    const int ctx = o.prompt_tokens + o.gen_tokens + 1;
    const int threads = resolve_threads(o.threads);
    ThreadPool pool(threads);
    Generator gen(m, pool, ctx, o.prompt_tokens);

    std::mt19937 rng(42);
    std::uniform_int_distribution<TokenId> pick(0, m.config().n_vocab - 1);
    std::vector<TokenId> prompt(static_cast<size_t>(o.prompt_tokens));
    for (TokenId& t : prompt) t = pick(rng);

    std::vector<double> prefill_rates, decode_rates;
    for (int run = 0; run <= o.repetitions; ++run) {
        gen.reset();
        auto start = std::chrono::steady_clock::now();
        auto logits = gen.feed(prompt);
        if (!logits) return fail(logits.error().message);
        const double prefill_s = seconds_since(start);
        TokenId next = argmax(*logits);
        start = std::chrono::steady_clock::now();
        for (int i = 0; i < o.gen_tokens; ++i) {
            logits = gen.feed(std::span<const TokenId>(&next, 1));
            if (!logits) return fail(logits.error().message);
            next = argmax(*logits);
        }
        const double decode_s = seconds_since(start);
        if (run == 0) continue;  // warm-up
        prefill_rates.push_back(o.prompt_tokens / prefill_s);
        decode_rates.push_back(o.gen_tokens / decode_s);
    }
    const double prefill = median(prefill_rates), decode = median(decode_rates);
    std::vector<BatchFigures> batches;
    double barrier_us = 0;
    if (!batch_sizes.empty()) {
        auto figures = bench_batches(m, pool, batch_sizes, o.prompt_tokens, o.gen_tokens, o.repetitions);
        if (!figures) return fail(figures.error().message);
        batches = std::move(*figures);
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
        std::printf("model %s, %d threads, median of %d runs\n", o.model.c_str(), threads, o.repetitions);
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
