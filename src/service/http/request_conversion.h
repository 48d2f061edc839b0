#pragma once
// Beast's parsed request to the HttpRequest value the handler sees. Internal
// to the HTTP layer.
#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "service/http/http_message.h"

namespace clawbot::service {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

HttpRequest to_http_request(BeastRequest&& message, std::string remote_address);
// The same without the body: what a handler screens before the body is read.
HttpRequest to_http_request_head(const BeastRequest& message, std::string remote_address);

// true when the client waits for "100 Continue" before sending its body.
bool expects_continue(const BeastRequest& message);

}  // namespace clawbot::service
