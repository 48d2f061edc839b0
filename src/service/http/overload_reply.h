#pragma once
// What a connection past max_connections gets: "503 Service Unavailable"
// with Retry-After and an error body, then the connection is closed (or,
// past max_connections_per_client, "429 Too Many Requests"). It is
// not counted as open; at most a few dozen such replies are in flight, any
// more are closed without a word. Internal to the HTTP layer.
#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "service/http/server_core.h"

namespace clawbot::service {

enum class OverloadKind { server_full, client_over_cap };

void send_overload_reply(const std::shared_ptr<ServerCore>& core, boost::asio::ip::tcp::socket socket,
                         OverloadKind kind = OverloadKind::server_full);

}  // namespace clawbot::service
