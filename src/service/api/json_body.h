#pragma once
// Reading and checking JSON request bodies, and the JSON error object
// every route answers with (json_error_response: OpenAI's shape).
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "service/http/http_handler.h"

namespace clawbot::service {

HttpResponse json_response(int status, const nlohmann::json& body);
HttpResponse error_response(int status, std::string_view code, std::string_view message, std::string_view param = {});
// A store executor's queue is full (STORE_QUEUE): 503 with Retry-After.
HttpResponse store_busy_response();

// A 400-worthy problem with the request: code and message for the client.
struct BadRequest {
    std::string code = "invalid_request";
    std::string message;
    std::string param = {};  // the field at fault, when one is
};
// 400 with `bad`'s code, message and param.
HttpResponse bad_request_response(const BadRequest& bad);

// Parses an object body; invalid UTF-8 and malformed JSON are refused.
std::variant<nlohmann::json, BadRequest> parse_json_object(std::string_view body);

// Typed optional fields: absent or null gives nullopt; a wrong type or an
// out-of-range value is a BadRequest naming the field.
class FieldReader {
public:
    explicit FieldReader(const nlohmann::json& object) : object_(object) {}

    std::optional<std::string> string(const char* name);
    std::optional<bool> boolean(const char* name);
    std::optional<int64_t> integer(const char* name, int64_t min, int64_t max);
    std::optional<double> number(const char* name, double min, double max);

    bool ok() const { return !error_; }
    const BadRequest& error() const { return *error_; }
    // `param`: the field at fault, for the error object.
    void fail(std::string message, std::string param = {});

private:
    const nlohmann::json* field(const char* name);
    const nlohmann::json& object_;
    std::optional<BadRequest> error_;
};

// Dumps JSON for the wire; text from the model is valid UTF-8, but replace
// guards against anything else.
std::string dump_json(const nlohmann::json& j);

}  // namespace clawbot::service
