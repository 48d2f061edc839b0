#include "service/api/json_body.h"

#include <cmath>

namespace clawbot::service {

std::string dump_json(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

HttpResponse json_response(int status, const nlohmann::json& body) {
    HttpResponse r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = dump_json(body);
    return r;
}

HttpResponse error_response(int status, std::string_view code, std::string_view message, std::string_view param) {
    return json_error_response(status, code, message, param);
}

HttpResponse bad_request_response(const BadRequest& bad) { return error_response(400, bad.code, bad.message, bad.param); }

HttpResponse store_busy_response() {
    HttpResponse r = error_response(503, "store_busy", "too many store calls waiting (STORE_QUEUE); retry later");
    r.headers.emplace_back("Retry-After", "1");
    return r;
}

std::variant<nlohmann::json, BadRequest> parse_json_object(std::string_view body) {
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded()) return BadRequest{"invalid_json", "the request body is not valid JSON (or not valid UTF-8)"};
    if (!j.is_object()) return BadRequest{"invalid_json", "the request body must be a JSON object"};
    return j;
}

void FieldReader::fail(std::string message, std::string param) {
    if (!error_) error_ = BadRequest{"invalid_request", std::move(message), std::move(param)};
}

const nlohmann::json* FieldReader::field(const char* name) {
    auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
}

std::optional<std::string> FieldReader::string(const char* name) {
    const nlohmann::json* v = field(name);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
        fail(std::string("'") + name + "' must be a string", name);
        return std::nullopt;
    }
    return v->get<std::string>();
}

std::optional<bool> FieldReader::boolean(const char* name) {
    const nlohmann::json* v = field(name);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) {
        fail(std::string("'") + name + "' must be true or false", name);
        return std::nullopt;
    }
    return v->get<bool>();
}

std::optional<int64_t> FieldReader::integer(const char* name, int64_t min, int64_t max) {
    const nlohmann::json* v = field(name);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) {
        fail(std::string("'") + name + "' must be an integer", name);
        return std::nullopt;
    }
    // Unsigned values beyond int64 are out of range too.
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(max)) {
        fail(std::string("'") + name + "' must be between " + std::to_string(min) + " and " + std::to_string(max), name);
        return std::nullopt;
    }
    const int64_t x = v->get<int64_t>();
    if (x < min || x > max) {
        fail(std::string("'") + name + "' must be between " + std::to_string(min) + " and " + std::to_string(max), name);
        return std::nullopt;
    }
    return x;
}

std::optional<double> FieldReader::number(const char* name, double min, double max) {
    const nlohmann::json* v = field(name);
    if (!v) return std::nullopt;
    if (!v->is_number()) {
        fail(std::string("'") + name + "' must be a number", name);
        return std::nullopt;
    }
    const double x = v->get<double>();
    if (!std::isfinite(x) || x < min || x > max) {
        fail(std::string("'") + name + "' must be between " + std::to_string(min) + " and " + std::to_string(max), name);
        return std::nullopt;
    }
    return x;
}

}  // namespace clawbot::service
