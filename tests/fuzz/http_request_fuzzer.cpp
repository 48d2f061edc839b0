// libFuzzer target for what parses a client's bytes before any route runs:
// the header block (where it ends, obs-fold, Beast's parser, the RFC 9112
// checks), the body as Beast frames it (chunked or Content-Length, under
// the limits the server sets), the HttpRequest the handler gets, and the
// JSON body parser every API route starts with. Whatever the bytes, nothing
// may crash, leak, read out of bounds or hit undefined behaviour, and an
// accepted request must satisfy what the server relies on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <boost/asio/buffer.hpp>

#include "service/api/json_body.h"
#include "service/http/request_conversion.h"
#include "service/http/request_head.h"

using namespace clawbot::service;

namespace {

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
constexpr std::size_t kMaxBodyBytes = 64 * 1024;

void check(bool condition) {
    if (!condition) std::abort();
}

void fuzz_request(std::string_view bytes) {
    const std::size_t end = find_header_end(bytes.substr(0, kMaxHeaderBytes + 4));
    if (end == std::string_view::npos) return;
    BeastRequestParser parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxBodyBytes);
    const std::string_view block = bytes.substr(0, end);
    (void)request_line_method(block);
    if (parse_request_head(block, parser)) return;  // refused: nothing more is read
    check(parser.is_header_done());
    check(!has_obsolete_line_folding(block));
    HttpRequest head = to_http_request_head(parser.get(), "127.0.0.1");
    check(is_known_method(head.method));
    check(method_label(head.method) == head.method);
    check(head.target.starts_with(head.path));
    // The body, as the session would read it: whatever follows the header.
    std::string_view rest = bytes.substr(end);
    boost::system::error_code ec;
    while (!parser.is_done() && !rest.empty() && !ec) {
        const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
        if (used == 0 && !ec) break;
        rest.remove_prefix(used);
    }
    if (ec || !parser.is_done()) return;
    check(parser.get().body().size() <= kMaxBodyBytes);
    HttpRequest request = to_http_request(parser.release(), "127.0.0.1");
    auto parsed = parse_json_object(request.body);
    if (auto* object = std::get_if<nlohmann::json>(&parsed)) {
        check(object->is_object());
        FieldReader f(*object);
        (void)f.string("query");
        (void)f.integer("max_tokens", 1, 4096);
        (void)f.number("temperature", 0.0, 2.0);
        (void)f.boolean("stream");
        (void)dump_json(*object);
    }
    (void)json_escape(request.path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz_request(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
