#include "service/http/request_conversion.h"

#include <iterator>
#include <utility>

namespace clawbot::service {

namespace http = boost::beast::http;

HttpRequest to_http_request(BeastRequest&& message, std::string remote_address) {
    HttpRequest request = to_http_request_head(message, std::move(remote_address));
    request.body = std::move(message.body());
    return request;
}

HttpRequest to_http_request_head(const BeastRequest& message, std::string remote_address) {
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    const auto question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    request.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
    for (const auto& field : message) {
        request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.version = static_cast<int>(message.version());
    request.keep_alive = message.keep_alive();
    request.remote_address = std::move(remote_address);
    return request;
}

bool expects_continue(const BeastRequest& message) {
    if (message.version() < 11) return false;
    const auto expect = message.find(http::field::expect);
    return expect != message.end() && header_name_equals(expect->value(), "100-continue");
}

}  // namespace clawbot::service
