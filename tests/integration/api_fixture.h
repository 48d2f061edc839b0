#pragma once
// A fresh clawbot installation per test: `clawbot init` into a temp dir,
// a second token, and the real server on an ephemeral port with the
// stories260K model.
#include <filesystem>
#include <algorithm>
#include <cctype>
#include <functional>
#include <memory>
#include <thread>
#include <vector>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/http_client.h"
#include "support/process.h"
#include "support/server_process.h"
#include "support/test_support.h"

namespace clawbot::test {

// The first access token ("cb_" and 20+ base64url characters) in text.
inline std::string first_token(const std::string& text) {
    auto is_token_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; };
    for (size_t at = text.find("cb_"); at != std::string::npos; at = text.find("cb_", at + 1)) {
        size_t end = at + 3;
        while (end < text.size() && is_token_char(text[end])) ++end;
        if (end - at - 3 >= 20) return text.substr(at, end - at);
    }
    return "";
}

// The id (tok_...) on the `token list` row whose name is `name`.
inline std::string token_id_named(const std::string& listing, const std::string& name) {
    std::istringstream rows(listing);
    std::string id, row_name;
    for (std::string line; std::getline(rows, line);) {
        std::istringstream fields(line);
        if (fields >> id >> row_name && row_name == name && id.rfind("tok_", 0) == 0) return id;
    }
    return "";
}

class ApiFixture : public testing::Test {
protected:
    void SetUp() override {
        dir_ = make_temp_dir();
        config_ = dir_ + "/config.env";
        auto [rc, out] = run_clawbot_command("init --config " + config_ + " --data-dir " + dir_ + "/data");
        ASSERT_EQ(rc, 0) << out;
        admin_ = first_token(out);
        ASSERT_FALSE(admin_.empty()) << out;
        auto [rc2, out2] = run_clawbot_command("token create --name other --config " + config_);
        ASSERT_EQ(rc2, 0) << out2;
        other_ = first_token(out2);
        ASSERT_FALSE(other_.empty()) << out2;
    }

    void TearDown() override {
        server_.reset();
        std::filesystem::remove_all(dir_);
    }

    void start(std::vector<std::string> extra = {}, std::map<std::string, std::string> env = {}, bool with_model = true) {
        std::vector<std::string> args = {"--config", config_};
        if (with_model) {
            args.insert(args.end(), {"--model-path", shared_path("models/stories260K.gguf")});
            if (std::find(extra.begin(), extra.end(), "--ctx-size") == extra.end()) args.insert(args.end(), {"--ctx-size", "256"});
        }
        args.insert(args.end(), extra.begin(), extra.end());
        server_ = std::make_unique<ServerProcess>(args, env);
        ASSERT_TRUE(server_->started()) << server_->log();
    }

    HttpResult call(const std::string& method, const std::string& path, const std::string& body = "",
                    std::optional<std::string> token = std::nullopt) {
        HttpCall c;
        c.method = method;
        c.path = path;
        c.body = body;
        c.bearer = std::move(token);
        if (!body.empty()) c.headers.emplace_back("Content-Type", "application/json");
        return http_request(server_->port(), c);
    }

    HttpResult post_json(const std::string& path, const nlohmann::json& body, const std::string& token) {
        return call("POST", path, body.dump(), token);
    }

    // n clients at once, each POSTing body(i) to `path` on its own connection.
    std::vector<HttpResult> concurrent_posts(int n, const std::string& path, const std::function<nlohmann::json(int)>& body) {
        std::vector<HttpResult> results(static_cast<size_t>(n));
        std::vector<std::thread> clients;
        for (int i = 0; i < n; ++i) {
            clients.emplace_back([&, i] {
                HttpCall c;
                c.method = "POST";
                c.path = path;
                c.bearer = admin_;
                c.body = body(i).dump();
                results[static_cast<size_t>(i)] = http_request(server_->port(), c, std::chrono::seconds(120));
            });
        }
        for (auto& t : clients) t.join();
        return results;
    }

    static nlohmann::json json_of(const HttpResult& r) { return nlohmann::json::parse(r.body, nullptr, false); }

    std::string dir_, config_, admin_, other_;
    std::unique_ptr<ServerProcess> server_;
};

}  // namespace clawbot::test
