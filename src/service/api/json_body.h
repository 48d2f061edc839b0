#pragma once
// Reading and checking JSON request bodies, and the JSON error shape
// {"error": {"code", "message"}} every route answers with.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "service/http/http_handler.h"

namespace clawbot::service {

HttpResponse json_response(int status, const nlohmann::json& body);
HttpResponse error_response(int status, std::string_view code, std::string_view message);
// A store executor's queue is full (STORE_QUEUE): 503 with Retry-After.
HttpResponse store_busy_response();

// A 400-worthy problem with the request: code and message for the client.
struct BadRequest {
    std::string code = "invalid_request";
    std::string message;
};

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
    void fail(std::string message);

private:
    const nlohmann::json* field(const char* name);
    const nlohmann::json& object_;
    std::optional<BadRequest> error_;
};

// Dumps JSON for the wire; text from the model is valid UTF-8, but replace
// guards against anything else.
std::string dump_json(const nlohmann::json& j);

}  // namespace clawbot::service
