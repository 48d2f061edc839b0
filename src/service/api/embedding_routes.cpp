// POST /v1/embeddings: OpenAI's embeddings, from the loaded model's final
// hidden states, mean-pooled and L2-normalised, every input batched
// through the engine together.
#include <cstring>

#include "service/api/json_body.h"
#include "service/api/routes.h"

namespace clawbot::service {
namespace {

// Inputs per call: each is one engine request, and all must fit its queue.
constexpr size_t kMaxInputs = 64;

class EmbeddingAnswer final : public EmbeddingHandler {
public:
    EmbeddingAnswer(Scope scope, std::string model, bool base64, std::unique_ptr<InflightLimit::Slot> slot)
        : scope_(std::move(scope)), model_(std::move(model)), base64_(base64), slot_(std::move(slot)) {}

    void on_embeddings(std::vector<std::vector<float>> vectors, int prompt_tokens) override {
        scope_->set_usage(CompletionUsage{prompt_tokens, 0, 0, 0});
        nlohmann::json data = nlohmann::json::array();
        for (size_t i = 0; i < vectors.size(); ++i) {
            nlohmann::json embedding = base64_ ? nlohmann::json(encode_base64(vectors[i])) : nlohmann::json(vectors[i]);
            data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", std::move(embedding)}});
        }
        scope_->respond(json_response(200, {{"object", "list"},
                                            {"data", std::move(data)},
                                            {"model", model_},
                                            {"usage", {{"prompt_tokens", prompt_tokens}, {"total_tokens", prompt_tokens}}}}));
    }

    void on_error(const StartError& error) override { respond_start_error(scope_, error); }

private:
    // encoding_format "base64": the little-endian float32 bytes, as OpenAI sends them.
    static std::string encode_base64(const std::vector<float>& v) {
        static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::string bytes(v.size() * sizeof(float), '\0');
        std::memcpy(bytes.data(), v.data(), bytes.size());
        std::string out;
        out.reserve((bytes.size() + 2) / 3 * 4);
        for (size_t i = 0; i < bytes.size(); i += 3) {
            const size_t n = std::min<size_t>(3, bytes.size() - i);
            uint32_t chunk = 0;
            for (size_t k = 0; k < 3; ++k) chunk = chunk << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
            for (size_t k = 0; k < 4; ++k) out += k <= n ? kAlphabet[(chunk >> (18 - 6 * k)) & 63] : '=';
        }
        return out;
    }

    Scope scope_;
    std::string model_;
    bool base64_;
    std::unique_ptr<InflightLimit::Slot> slot_;  // released with the answer
};

std::optional<BadRequest> read_inputs(const nlohmann::json& body, std::vector<std::string>& out) {
    auto it = body.find("input");
    const BadRequest bad{"invalid_request", "'input' must be a string or a list of 1 to 64 strings (token ids are not supported)",
                         "input"};
    if (it == body.end()) return bad;
    if (it->is_string()) {
        out.push_back(it->get<std::string>());
        return std::nullopt;
    }
    if (!it->is_array() || it->empty() || it->size() > kMaxInputs) return bad;
    for (const auto& v : *it) {
        if (!v.is_string()) return bad;
        out.push_back(v.get<std::string>());
    }
    return std::nullopt;
}

}  // namespace

void handle_embeddings(const HttpRequest& req, const Scope& scope, const TokenRecord&) {
    ApiContext& ctx = scope->ctx();
    if (!ctx.provider) return scope->respond(error_response(503, "no_model", kNoModelMessage));
    auto parsed = parse_json_object(req.body);
    if (auto* bad = std::get_if<BadRequest>(&parsed)) return scope->respond(bad_request_response(*bad));
    const nlohmann::json& body = std::get<nlohmann::json>(parsed);
    if (auto refusal = refuse_unknown_model(ctx, body)) return scope->respond(std::move(*refusal));
    std::vector<std::string> inputs;
    if (auto bad = read_inputs(body, inputs)) return scope->respond(bad_request_response(*bad));
    FieldReader f(body);
    const std::string format = f.string("encoding_format").value_or("float");
    auto dimensions = f.integer("dimensions", 1, 1 << 20);
    f.string("user");
    if (!f.ok()) return scope->respond(bad_request_response(f.error()));
    if (format != "float" && format != "base64") {
        return scope->respond(error_response(400, "invalid_request", "'encoding_format' must be float or base64", "encoding_format"));
    }
    if (dimensions) {
        return scope->respond(error_response(400, "unsupported_parameter",
                                             "'dimensions': the model's embeddings have its own size; shortening them is not supported",
                                             "dimensions"));
    }
    auto slot = acquire_inflight(scope);
    if (!slot) return;
    auto answer = std::make_shared<EmbeddingAnswer>(scope, ctx.provider->model_name(), format == "base64", std::move(slot));
    StartResult started = ctx.provider->embed(std::move(inputs), answer);
    if (!started) return respond_start_error(scope, started.error());
    // A client that hangs up cancels what is still queued or running.
    scope->on_close([control = *started] { control->cancel(); });
}

}  // namespace clawbot::service
