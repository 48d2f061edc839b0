// Settings: one name per setting across flags, environment and config file;
// precedence; strict parsing and validation; the secret-file permission rule;
// and the 0600 config writer.
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "service/config/config_file.h"
#include "service/config/config_writer.h"
#include "service/config/settings_loader.h"
#include "service/config/settings_table.h"
#include "support/test_support.h"

namespace clawbot::service {
namespace {

using Values = std::map<std::string, std::string>;

EnvLookup env_from(Values values) {
    return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
        const auto it = values.find(name);
        if (it == values.end()) return std::nullopt;
        return it->second;
    };
}

mode_t file_mode(const std::string& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777;
}

class ConfigTest : public ::testing::Test {
protected:
    void SetUp() override { dir_ = test::make_temp_dir(); }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // Writes `text` to a fresh file with `mode` and returns its path.
    std::string config_file(const std::string& text, mode_t mode = 0600) {
        const std::string path = dir_ + "/config-" + std::to_string(++files_) + ".env";
        std::ofstream(path, std::ios::binary) << text;
        EXPECT_EQ(::chmod(path.c_str(), mode), 0);
        return path;
    }

    Result<Settings> load(const Values& flags, const Values& env, const std::string& file_text) {
        return load_settings(flags, env_from(env), config_file(file_text));
    }

    std::string dir_;
    int files_ = 0;
};

std::string field_text(const Settings& settings, const SettingSpec& spec) { return setting_text(settings, spec); }

// A valid value for each kind that differs from every default.
std::string sample_value(const SettingSpec& spec) {
    switch (spec.kind) {
        case SettingKind::Text: return "/some where/value";
        case SettingKind::Choice: return std::string(spec.choices.front());
        case SettingKind::Port: return "8080";
        case SettingKind::PositiveInt: return "7";
        case SettingKind::NonNegativeInt: return "3";
        case SettingKind::ByteSize: return "2048";
        case SettingKind::Bool: return "1";
    }
    return "";
}

TEST_F(ConfigTest, DefaultsWhenNoSourceSetsAnything) {
    Result<Settings> settings = load({}, {}, "# nothing but a comment\n");
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    EXPECT_EQ(settings->host, "127.0.0.1");
    EXPECT_EQ(settings->port, 18789);
    EXPECT_EQ(settings->data_dir, "/var/lib/clawbot");
    EXPECT_EQ(settings->log_file, "");
    EXPECT_EQ(settings->threads, 0);
    EXPECT_EQ(settings->ctx_size, 4096);
    EXPECT_EQ(settings->max_batch_size, 16);
    EXPECT_EQ(settings->max_concurrent_requests, 128);
    EXPECT_EQ(settings->max_queue, 64);
    EXPECT_EQ(settings->api_key, "");
    EXPECT_FALSE(settings->metrics_public);
    EXPECT_EQ(settings->max_body_bytes, 1024u * 1024u);
    EXPECT_EQ(settings->max_header_bytes, 16u * 1024u);
    EXPECT_EQ(settings->header_timeout_s, 10);
    EXPECT_EQ(settings->max_connections, 4096);
    EXPECT_EQ(settings->drain_timeout_s, 30);
    EXPECT_EQ(settings->provider, "local");
}

TEST_F(ConfigTest, TableHasTheDocumentedNamesAndFlags) {
    for (const char* name : {"MODEL_PATH", "HOST", "PORT", "DATA_DIR", "LOG_FILE", "THREADS",
                             "CTX_SIZE", "MAX_BATCH_SIZE", "MAX_CONCURRENT_REQUESTS", "MAX_QUEUE",
                             "API_KEY", "METRICS_PUBLIC", "MAX_BODY_BYTES", "MAX_HEADER_BYTES",
                             "HEADER_TIMEOUT_S", "MAX_CONNECTIONS", "DRAIN_TIMEOUT_S", "PROVIDER",
                             "UPSTREAM_URL", "UPSTREAM_MODEL", "UPSTREAM_CONNECT_TIMEOUT_S",
                             "UPSTREAM_READ_TIMEOUT_S", "UPSTREAM_RETRIES", "REUSE_PORT", "REQUEST_LINE_TIMEOUT_S",
                             "MAX_CONNECTIONS_PER_CLIENT", "CONNECTION_LIMIT_EXEMPT", "RESERVED_OPS_CONNECTIONS",
                             "MAX_BUFFERED_BODY_BYTES", "RATE_LIMIT_REQUESTS_PER_MINUTE", "RATE_LIMIT_TOKENS_PER_MINUTE", "REPACK_WEIGHTS"}) {
        EXPECT_NE(find_setting(name), nullptr) << name;
    }
    EXPECT_EQ(flag_name(*find_setting("MODEL_PATH")), "--model-path");
    EXPECT_EQ(flag_name(*find_setting("MAX_CONCURRENT_REQUESTS")), "--max-concurrent-requests");
    EXPECT_EQ(default_text(*find_setting("PORT")), "18789");
    EXPECT_EQ(default_text(*find_setting("HOST")), "127.0.0.1");
    EXPECT_EQ(default_text(*find_setting("METRICS_PUBLIC")), "0");
    EXPECT_EQ(default_text(*find_setting("REPACK_WEIGHTS")), "1");
    EXPECT_EQ(default_text(*find_setting("MAX_BODY_BYTES")), "1048576");
    EXPECT_TRUE(find_setting("API_KEY")->secret);
    EXPECT_FALSE(find_setting("HOST")->secret);
    EXPECT_EQ(find_setting("port"), nullptr);  // names are exact
}

TEST_F(ConfigTest, EverySettingHasOneNameInFlagsEnvironmentAndFile) {
    for (const SettingSpec& spec : settings_table()) {
        const std::string name(spec.name);
        const std::string value = sample_value(spec);
        Result<Settings> by_flag = load({{name, value}}, {}, "");
        Result<Settings> by_env = load({}, {{name, value}}, "");
        Result<Settings> by_file = load({}, {}, name + "=" + value + "\n");
        ASSERT_TRUE(by_flag.ok()) << name << ": " << by_flag.error().message;
        ASSERT_TRUE(by_env.ok()) << name << ": " << by_env.error().message;
        ASSERT_TRUE(by_file.ok()) << name << ": " << by_file.error().message;
        EXPECT_EQ(field_text(*by_flag, spec), value) << name;
        EXPECT_EQ(field_text(*by_env, spec), value) << name;
        EXPECT_EQ(field_text(*by_file, spec), value) << name;
    }
}

TEST_F(ConfigTest, FlagsBeatEnvironmentWhichBeatsTheFile) {
    Result<Settings> settings =
        load({{"PORT", "3000"}},
             {{"PORT", "2000"}, {"HOST", "0.0.0.0"}},
             "PORT=1000\nHOST=10.0.0.1\nTHREADS=3\n");
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    EXPECT_EQ(settings->port, 3000);         // flag over env and file
    EXPECT_EQ(settings->host, "0.0.0.0");    // env over file
    EXPECT_EQ(settings->threads, 3);         // file over default
    EXPECT_EQ(settings->ctx_size, 4096);     // default
}

TEST_F(ConfigTest, EmptyEnvironmentValueStillOverridesTheFile) {
    Result<Settings> settings = load({}, {{"LOG_FILE", ""}}, "LOG_FILE=/var/log/clawbot.log\n");
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    EXPECT_EQ(settings->log_file, "");
}

TEST_F(ConfigTest, FileSyntaxCommentsBlanksQuotesWhitespaceAndCrlf) {
    Result<Settings> settings = load({}, {},
                                     "# clawbot\n"
                                     "\n"
                                     "   \t\n"
                                     "  HOST = 10.1.2.3  \n"
                                     "MODEL_PATH=\"/models/my model.gguf\"\n"
                                     "LOG_FILE='/  padded  '\n"
                                     "DATA_DIR=/srv/clawbot # not a comment\n"
                                     "PORT=9000\r\n"
                                     "   # indented comment\n"
                                     "METRICS_PUBLIC=Yes");  // no final newline
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    EXPECT_EQ(settings->host, "10.1.2.3");
    EXPECT_EQ(settings->model_path, "/models/my model.gguf");
    EXPECT_EQ(settings->log_file, "/  padded  ");
    EXPECT_EQ(settings->data_dir, "/srv/clawbot # not a comment");
    EXPECT_EQ(settings->port, 9000);
    EXPECT_TRUE(settings->metrics_public);
}

TEST_F(ConfigTest, RelativePathsInTheFileMeanRelativeToTheFile) {
    auto settings = load({}, {}, "DATA_DIR=./data\nMODEL_PATH=models/m.gguf\nLOG_FILE=../logs/c.log\n"
                                 "CHAT_TEMPLATE_FILE=t.jinja\nSTORE=sqlite\n");
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    EXPECT_EQ(settings->data_dir, dir_ + "/data");
    EXPECT_EQ(settings->model_path, dir_ + "/models/m.gguf");
    EXPECT_EQ(settings->log_file, std::filesystem::path(dir_).parent_path().string() + "/logs/c.log");
    EXPECT_EQ(settings->chat_template_file, dir_ + "/t.jinja");
    // Absolute ones, and what flags and the environment say, are as given.
    settings = load({{"MODEL_PATH", "rel.gguf"}}, {{"LOG_FILE", "here.log"}}, "DATA_DIR=/var/lib/x\n");
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    EXPECT_EQ(settings->data_dir, "/var/lib/x");
    EXPECT_EQ(settings->model_path, "rel.gguf");
    EXPECT_EQ(settings->log_file, "here.log");
}

TEST_F(ConfigTest, UnknownKeyInTheFileIsNamedWithItsLine) {
    Result<Settings> settings = load({}, {}, "PORT=1\n# comment\nMODLE_PATH=/x.gguf\n");
    ASSERT_FALSE(settings.ok());
    EXPECT_NE(settings.error().message.find("MODLE_PATH"), std::string::npos) << settings.error().message;
    EXPECT_NE(settings.error().message.find("line 3"), std::string::npos) << settings.error().message;
}

TEST_F(ConfigTest, KeysAreCaseSensitive) {
    Result<Settings> settings = load({}, {}, "port=8080\n");
    ASSERT_FALSE(settings.ok());
    EXPECT_NE(settings.error().message.find("unknown key port"), std::string::npos)
        << settings.error().message;
}

TEST_F(ConfigTest, MalformedLinesAreRefusedWithTheirLineNumber) {
    const std::map<std::string, std::string> cases = {
        {"PORT=1\nthis line has no equals sign\n", "line 2"},
        {"\n\n=value\n", "line 3"},
        {"MY KEY=1\n", "line 1"},
        {"HOST=\"unterminated\n", "line 1"},
        {"HOST='mismatched\"\n", "line 1"},
        {"PORT=1\nPORT=2\n", "line 2"},
    };
    for (const auto& [text, where] : cases) {
        Result<Settings> settings = load({}, {}, text);
        ASSERT_FALSE(settings.ok()) << text;
        EXPECT_NE(settings.error().message.find(where), std::string::npos)
            << text << " -> " << settings.error().message;
    }
}

TEST_F(ConfigTest, DuplicateKeyNamesTheFirstLine) {
    Result<Settings> settings = load({}, {}, "HOST=a\n\nHOST=b\n");
    ASSERT_FALSE(settings.ok());
    EXPECT_NE(settings.error().message.find("already set on line 1"), std::string::npos)
        << settings.error().message;
}

TEST_F(ConfigTest, PortZeroAsksForAnyFreePort) {
    Result<Settings> settings = load({{"PORT", "0"}}, {}, "");
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    EXPECT_EQ(settings->port, 0);
}

TEST_F(ConfigTest, BadTypedValuesNameTheKeyFromEverySource) {
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"PORT", "65536"},       {"PORT", "80a"},
        {"PORT", ""},            {"PORT", "-1"},            {"PORT", "+80"},
        {"CTX_SIZE", "0"},       {"CTX_SIZE", "4k"},        {"CTX_SIZE", "99999999999"},
        {"THREADS", "-1"},       {"MAX_QUEUE", "1.5"},      {"MAX_BODY_BYTES", "0"},
        {"METRICS_PUBLIC", "maybe"}, {"METRICS_PUBLIC", ""}, {"HOST", ""},
        {"DATA_DIR", ""},        {"PROVIDER", "openai-ish"}, {"HEADER_TIMEOUT_S", " 5"},
    };
    for (const auto& [name, value] : bad) {
        Result<Settings> by_flag = load({{name, value}}, {}, "");
        Result<Settings> by_env = load({}, {{name, value}}, "");
        Result<Settings> by_file = load({}, {}, name + "=\"" + value + "\"\n");
        for (const Result<Settings>* result : {&by_flag, &by_env, &by_file}) {
            ASSERT_FALSE(result->ok()) << name << "=" << value;
            EXPECT_NE(result->error().message.find(name), std::string::npos)
                << result->error().message;
        }
        EXPECT_NE(by_flag.error().message.find("flag " + flag_name(*find_setting(name))),
                  std::string::npos) << by_flag.error().message;
        EXPECT_NE(by_env.error().message.find("environment"), std::string::npos);
        EXPECT_NE(by_file.error().message.find("line 1"), std::string::npos);
    }
}

TEST_F(ConfigTest, BoolSpellingsAndRangeEdgesAreAccepted) {
    for (const auto& [text, expected] : std::map<std::string, bool>{
             {"1", true}, {"TRUE", true}, {"yes", true}, {"0", false}, {"False", false}, {"no", false}}) {
        Result<Settings> settings = load({{"METRICS_PUBLIC", text}}, {}, "");
        ASSERT_TRUE(settings.ok()) << text;
        EXPECT_EQ(settings->metrics_public, expected) << text;
    }
    Result<Settings> low = load({{"PORT", "1"}}, {}, "");
    Result<Settings> high = load({{"PORT", "65535"}}, {}, "");
    ASSERT_TRUE(low.ok() && high.ok());
    EXPECT_EQ(low->port, 1);
    EXPECT_EQ(high->port, 65535);
}

TEST_F(ConfigTest, UnknownFlagIsAnError) {
    Result<Settings> settings = load_settings({{"PROT", "1"}}, env_from({}), std::nullopt);
    ASSERT_FALSE(settings.ok());
    EXPECT_NE(settings.error().message.find("PROT"), std::string::npos);
}

TEST_F(ConfigTest, MissingExplicitConfigFileIsAnError) {
    const std::string missing = dir_ + "/nope.env";
    Result<Settings> settings = load_settings({}, env_from({}), missing);
    ASSERT_FALSE(settings.ok());
    EXPECT_NE(settings.error().message.find(missing), std::string::npos);
}

TEST_F(ConfigTest, DefaultConfigPathIsUsedOnlyWhenItExists) {
    const std::string default_path = dir_ + "/config.env";
    EXPECT_EQ(resolve_config_path(std::nullopt, default_path), std::nullopt);
    std::ofstream(default_path) << "PORT=1\n";
    EXPECT_EQ(resolve_config_path(std::nullopt, default_path), default_path);
    EXPECT_EQ(resolve_config_path(std::string("/explicit.env"), default_path), "/explicit.env");
}

TEST_F(ConfigTest, SecretInAGroupOrWorldReadableFileIsRefusedNamingTheFix) {
    for (mode_t mode : {0644, 0640, 0604, 0660}) {
        const std::string path = config_file("API_KEY=sk-very-secret\n", mode);
        Result<Settings> settings = load_settings({}, env_from({}), path);
        ASSERT_FALSE(settings.ok()) << std::oct << mode;
        const std::string& message = settings.error().message;
        EXPECT_NE(message.find("chmod 600 " + path), std::string::npos) << message;
        EXPECT_NE(message.find("API_KEY"), std::string::npos) << message;
        EXPECT_EQ(message.find("sk-very-secret"), std::string::npos) << "leaks the secret: " << message;
    }
}

TEST_F(ConfigTest, PrivateSecretFileAndPublicFileWithoutSecretAreAccepted) {
    Result<Settings> private_secret =
        load_settings({}, env_from({}), config_file("API_KEY=\"sk-1\"\n", 0600));
    ASSERT_TRUE(private_secret.ok()) << private_secret.error().message;
    EXPECT_EQ(private_secret->api_key, "sk-1");

    Result<Settings> public_plain =
        load_settings({}, env_from({}), config_file("PORT=8080\nAPI_KEY=\n", 0644));
    ASSERT_TRUE(public_plain.ok()) << public_plain.error().message;
    EXPECT_EQ(public_plain->port, 8080);
}

TEST_F(ConfigTest, BadSecretValueIsNotEchoed) {
    // API_KEY is free text, so use a secret-free bad value elsewhere and make
    // sure a refused value of a secret setting would be hidden.
    Settings settings;
    SettingSpec fake_secret = *find_setting("PORT");
    fake_secret.secret = true;
    Result<bool> applied = apply_setting(settings, fake_secret, "hunter2", "test");
    ASSERT_FALSE(applied.ok());
    EXPECT_EQ(applied.error().message.find("hunter2"), std::string::npos) << applied.error().message;
}

// --- write_config_file ----------------------------------------------------------

TEST_F(ConfigTest, WriterCreatesA0600FileThatLoadsBack) {
    const mode_t old_umask = ::umask(0);  // the mode must not depend on the caller's umask
    const std::string path = dir_ + "/config.env";
    const Values values = {{"MODEL_PATH", "/models/a b.gguf"},
                           {"PORT", "8081"},
                           {"API_KEY", "sk-secret"},
                           {"LOG_FILE", "/  padded  "},
                           {"DATA_DIR", "/\"quoted\""}};
    Result<bool> written = write_config_file(path, values);
    ::umask(old_umask);
    ASSERT_TRUE(written.ok()) << written.error().message;
    EXPECT_EQ(file_mode(path), 0600u);

    Result<Settings> settings = load_settings({}, env_from({}), path);
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    EXPECT_EQ(settings->model_path, "/models/a b.gguf");
    EXPECT_EQ(settings->port, 8081);
    EXPECT_EQ(settings->api_key, "sk-secret");
    EXPECT_EQ(settings->log_file, "/  padded  ");
    EXPECT_EQ(settings->data_dir, "/\"quoted\"");

    // No temporary file is left beside it.
    int entries = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
        (void)entry;
        ++entries;
    }
    EXPECT_EQ(entries, 1);
}

TEST_F(ConfigTest, WriterRefusesToClobberAnExistingFile) {
    const std::string path = config_file("PORT=1234\n", 0644);
    Result<bool> written = write_config_file(path, {{"PORT", "8080"}});
    ASSERT_FALSE(written.ok());
    EXPECT_NE(written.error().message.find("already exists"), std::string::npos);
    EXPECT_EQ(test::read_file(path), "PORT=1234\n");
    EXPECT_EQ(file_mode(path), 0644u);
}

TEST_F(ConfigTest, ReplacingNeverLoosensTheMode) {
    const std::string loose = config_file("PORT=1\n", 0644);
    ASSERT_TRUE(write_config_file(loose, {{"PORT", "2"}}, ExistingConfig::Replace).ok());
    EXPECT_EQ(file_mode(loose), 0600u);  // tightened

    const std::string strict = config_file("PORT=1\n", 0400);
    ASSERT_TRUE(write_config_file(strict, {{"PORT", "3"}}, ExistingConfig::Replace).ok());
    EXPECT_EQ(file_mode(strict), 0400u);  // kept, not loosened to 0600
    Result<Settings> settings = load_settings({}, env_from({}), strict);
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    EXPECT_EQ(settings->port, 3);
}

TEST_F(ConfigTest, WriterRefusesWhatTheLoaderWouldRefuse) {
    const std::string path = dir_ + "/config.env";
    EXPECT_FALSE(write_config_file(path, {{"NOT_A_SETTING", "1"}}).ok());
    EXPECT_FALSE(write_config_file(path, {{"PORT", "70000"}}).ok());
    EXPECT_FALSE(write_config_file(path, {{"HOST", "a\nAPI_KEY=injected"}}).ok());
    EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace clawbot::service
