// `clawbot loadtest`: N simulated users, each holding a multi-turn streamed
// conversation against /v1/chat/completions, all at once on one Asio thread
// (C++20 coroutines), so the tool itself takes one core from the server.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <utility>  // before Boost 1.74's awaitable.hpp, which needs std::exchange
#include <variant>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cli/commands.h"
#include "cli/loadtest_client.h"
#include "cli/loadtest_conversation.h"
#include "cli/loadtest_progress.h"
#include "cli/loadtest_stats.h"

namespace clawbot::cli {
namespace {

namespace asio = boost::asio;

// Everything the users and the progress display share. One thread runs
// them all, so plain fields need no locking.
struct LoadRun {
    LoadRun(asio::io_context& ioc, const LoadtestOptions& o)
        : options(o), stats(o.turns, o.seed), users_left(o.users), progress_timer(ioc) {}

    const LoadtestOptions& options;
    CompletionCall call;
    LoadStats stats;
    long users_left;
    asio::steady_timer progress_timer;
    LoadClock::time_point started = LoadClock::now();
    LoadClock::time_point finished = started;
};

double seconds_since(LoadClock::time_point start, LoadClock::time_point end) {
    return std::chrono::duration<double>(end - start).count();
}

asio::awaitable<void> simulate_user(LoadRun& run, int user) {
    const LoadtestOptions& o = run.options;
    Conversation conversation(o.system_prompt, o.seed, user);
    for (int turn = 1; turn <= o.turns; ++turn) {
        RequestOutcome r = co_await stream_completion(run.call, conversation.next_request(o.max_tokens, o.model));
        r.turn = turn;
        if (r.error.empty()) {
            conversation.answered(std::move(r.content));
        } else {
            conversation.failed();
        }
        run.stats.add(r);
    }
}

// Called when a user's coroutine ends, however it ended, so the run always
// finishes: the last one stops the progress display.
void user_finished(LoadRun& run) {
    if (--run.users_left > 0) return;
    run.finished = LoadClock::now();
    run.progress_timer.cancel();
}

ProgressCounts counts_of(const LoadRun& run) {
    return {run.stats.requests(), static_cast<long>(run.options.users) * run.options.turns, run.stats.errors(),
            run.stats.completion_tokens(), seconds_since(run.started, LoadClock::now())};
}

asio::awaitable<void> show_progress(LoadRun& run, ProgressDisplay& display) {
    boost::system::error_code ec;
    while (run.users_left > 0) {
        run.progress_timer.expires_after(display.interval());
        co_await run.progress_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (run.users_left > 0) display.show(counts_of(run));
    }
}

// Resolves the host and makes one TCP connection, so a wrong URL is one
// clear error line instead of N×T "connect" errors.
std::string reach_target(asio::io_context& ioc, LoadRun& run) {
    asio::ip::tcp::resolver resolver(ioc);
    boost::system::error_code ec;
    run.call.endpoints = resolver.resolve(run.call.target->host, run.call.target->port, ec);
    if (ec) return "cannot resolve " + run.call.target->host + ": " + ec.message();
    std::string why = "probe did not finish";
    const auto probe_timeout = std::min(run.call.timeout, std::chrono::seconds(10));
    asio::co_spawn(ioc, probe_target(run.call, probe_timeout), [&why](std::exception_ptr e, std::string result) {
        why = e ? "probe failed" : std::move(result);
    });
    ioc.run();
    ioc.restart();
    return why;
}

int run_load(const LoadtestOptions& o) {
    auto parsed = parse_http_url(o.url);
    if (auto* why = std::get_if<std::string>(&parsed)) return fail(*why);
    const HttpTarget target = std::get<HttpTarget>(parsed);

    asio::io_context ioc(1);
    LoadRun run(ioc, o);
    run.call.target = &target;
    run.call.bearer = o.token;
    run.call.timeout = std::chrono::seconds(o.timeout_s);
    if (auto why = reach_target(ioc, run); !why.empty()) return fail(why);

    ProgressDisplay display;
    run.started = LoadClock::now();
    for (int user = 0; user < o.users; ++user) {
        asio::co_spawn(ioc, simulate_user(run, user), [&run](std::exception_ptr) { user_finished(run); });
    }
    asio::co_spawn(ioc, show_progress(run, display), asio::detached);
    ioc.run();
    display.show(counts_of(run));
    display.finish();

    const auto report = run.stats.report(seconds_since(run.started, run.finished));
    if (o.json) {
        std::cout << report.dump() << "\n";
    } else {
        std::cout << format_report(report);
    }
    // A run whose requests failed is a failed run (a wrong token gives a
    // full report of 401s, not success).
    const long requests = run.stats.requests();
    const double error_rate = requests > 0 ? static_cast<double>(run.stats.errors()) / static_cast<double>(requests) : 0.0;
    if (error_rate > o.max_error_rate) {
        std::cerr << "loadtest: " << run.stats.errors() << " of " << requests << " requests failed ("
                  << static_cast<int>(error_rate * 100 + 0.5) << "%), above --max-error-rate " << o.max_error_rate << "\n";
        return 1;
    }
    return 0;
}

}  // namespace

int run_loadtest(const LoadtestOptions& o) {
    try {
        return run_load(o);
    } catch (const std::exception& e) {
        return fail(std::string("loadtest: ") + e.what());
    }
}

}  // namespace clawbot::cli
