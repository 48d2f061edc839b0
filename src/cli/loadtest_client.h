#pragma once
// One streamed POST /v1/chat/completions over plain TCP, measured: a fresh
// connection per request, and one deadline for the whole exchange (connect,
// send, every read), so a stuck server cannot hold the run forever.
#include <chrono>
#include <string>
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "cli/loadtest_stream.h"
#include "cli/loadtest_url.h"

namespace clawbot::cli {

struct CompletionCall {
    const HttpTarget* target = nullptr;
    boost::asio::ip::tcp::resolver::results_type endpoints;  // resolved once, at start
    std::string bearer;
    std::chrono::seconds timeout{300};
};

// Never throws; failures come back as RequestOutcome::error of kind
// "connect", "timeout", "disconnect", "malformed", "stream_error" or the
// HTTP status ("401", "429", ...).
boost::asio::awaitable<RequestOutcome> stream_completion(const CompletionCall& call, std::string body);

// TCP connect to the target within `timeout`: "" when it answered, else
// one line saying why not.
boost::asio::awaitable<std::string> probe_target(const CompletionCall& call, std::chrono::seconds timeout);

}  // namespace clawbot::cli
