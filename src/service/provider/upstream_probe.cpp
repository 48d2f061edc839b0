#include "service/provider/upstream_probe.h"

#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "service/provider/openai_provider.h"
#include "service/provider/upstream_connection.h"
#include "service/provider/upstream_protocol.h"

namespace clawbot::service {

using namespace upstream_net;

namespace {

asio::awaitable<UpstreamProbe> probe(const UpstreamConfig& config, asio::ssl::context& tls) {
    UpstreamProbe out;
    UpstreamConnection connection(co_await asio::this_coro::executor, tls, config.endpoint);
    const std::string where = config.endpoint.display();
    beast::error_code ec = co_await connection.connect(config.connect_timeout);
    if (ec) {
        out.detail = "cannot reach " + where + ": " + (ec == beast::error::timeout ? "connection timed out" : ec.message());
        co_return out;
    }
    Request request{http::verb::get, config.endpoint.target("/models"), 11};
    request.set(http::field::host, config.endpoint.host_header);
    request.set(http::field::authorization, "Bearer " + config.api_key);
    request.set(http::field::user_agent, "clawbot-doctor");
    ec = co_await connection.write(request, config.read_timeout);
    ResponseParser parser;
    parser.body_limit(1u << 20);
    if (!ec) ec = co_await connection.read_header(parser, config.read_timeout);
    if (ec) {
        out.detail = "no HTTP answer from " + where + ": " + ec.message();
        co_return out;
    }
    out.reachable = true;
    out.status = parser.get().result_int();
    out.key_accepted = out.status >= 200 && out.status < 300;
    if (out.key_accepted) {
        out.detail = where + " answered HTTP " + std::to_string(out.status);
    } else if (out.status == 401 || out.status == 403) {
        out.detail = "the upstream refused the API key (HTTP " + std::to_string(out.status) + ")";
    } else {
        co_await connection.read_rest(parser, config.read_timeout);
        const std::string said = upstream_error_text(parser.get().body(), config.api_key);
        out.detail = where + "/models answered HTTP " + std::to_string(out.status) + (said.empty() ? "" : ": " + said);
    }
    connection.close();
    co_return out;
}

}  // namespace

UpstreamProbe probe_upstream(const Settings& settings) {
    auto config = upstream_config_from(settings);
    if (!config) {
        UpstreamProbe out;
        out.detail = config.error().message;
        return out;
    }
    asio::io_context io;
    asio::ssl::context tls = make_upstream_tls_context();
    UpstreamProbe result;
    result.detail = "the probe did not finish";
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> {
            try {
                result = co_await probe(**config, tls);
            } catch (const std::exception& e) {
                result.detail = std::string("probe failed: ") + e.what();
            }
        },
        asio::detached);
    io.run();
    return result;
}

}  // namespace clawbot::service
