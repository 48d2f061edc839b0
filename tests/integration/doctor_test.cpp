// `clawbot doctor` on the real binary: each problem of the troubleshooting
// table set up for real (a taken port, a 0644 config with a key, a broken
// model, an unwritable DATA_DIR, a non-UTF-8 locale, an upstream that
// refuses the key) gives its FAIL line and a non-zero exit; a sound setup
// exits 0.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/gguf/gguf_writer.h"
#include "engine/tensor/kernels.h"
#include "support/process.h"
#include "support/redis_server.h"
#include "support/server_process.h"
#include "support/test_support.h"

namespace clawbot::test {
namespace {

using Env = std::map<std::string, std::optional<std::string>>;

// A loopback socket listening on an ephemeral port, closed on destruction.
class HeldPort {
public:
    HeldPort() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 4) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            return;
        }
        port_ = ntohs(addr.sin_port);
    }
    ~HeldPort() { close(); }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    int port() const { return port_; }

private:
    int fd_ = -1;
    int port_ = 0;
};

// A port nothing listens on (bound once, then released).
int free_port() {
    HeldPort held;
    return held.port();
}

// The line of `out` starting with `prefix` ("FAIL port:"), or "".
std::string line_starting(const std::string& out, const std::string& prefix) {
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(prefix, 0) == 0) return line;
    }
    return "";
}

void write_text(const std::string& path, const std::string& text, mode_t mode) {
    std::ofstream(path, std::ios::binary) << text;
    ::chmod(path.c_str(), mode);
}

class DoctorTest : public testing::Test {
protected:
    void SetUp() override {
        dir_ = make_temp_dir();
        config_ = dir_ + "/config.env";
        data_ = dir_ + "/data";
        const ProcessResult init = run_clawbot("init --config " + shell_quote(config_) + " --data-dir " + shell_quote(data_));
        ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
        admin_ = first_token(init.out);
        ASSERT_FALSE(admin_.empty()) << init.out;
        port_ = free_port();
        ASSERT_GT(port_, 0);
    }

    void TearDown() override {
        std::error_code ignored;
        std::filesystem::permissions(dir_, std::filesystem::perms::owner_all, ignored);
        std::filesystem::remove_all(dir_, ignored);
    }

    // A clean environment: a UTF-8 locale and none of the settings' variables
    // (the developer's shell or CI may set any of them).
    static Env base_env() {
        Env env = {{"LANG", "C.UTF-8"}, {"LC_ALL", std::nullopt}, {"LC_CTYPE", std::nullopt}};
        for (const char* name : {"MODEL_PATH", "HOST", "PORT", "DATA_DIR", "LOG_FILE", "THREADS", "CTX_SIZE",
                                 "MAX_BATCH_SIZE", "API_KEY", "PROVIDER", "UPSTREAM_URL", "UPSTREAM_MODEL", "REUSE_PORT",
                                 "STORE", "REPACK_WEIGHTS", "CLAWBOT_ISA"}) {
            env[name] = std::nullopt;
        }
        return env;
    }

    // `clawbot doctor` with this test's config, a free port and stories260K,
    // each replaced by `flags` of the same name ("" drops a flag).
    ProcessResult doctor(const std::map<std::string, std::string>& flags = {}, const Env& changes = {}) {
        std::map<std::string, std::string> all = {{"--config", config_},
                                                  {"--port", std::to_string(port_)},
                                                  {"--model-path", shared_path("models/stories260K.gguf")},
                                                  {"--ctx-size", "256"}};
        for (const auto& [flag, value] : flags) all[flag] = value;
        std::string args = "doctor";
        for (const auto& [flag, value] : all) {
            if (!value.empty()) args += " " + flag + " " + shell_quote(value);
        }
        Env env = base_env();
        for (const auto& [name, value] : changes) env[name] = value;
        return run_clawbot_with_env(args, env);
    }

    static std::string first_token(const std::string& text) {
        const size_t at = text.find("cb_");
        if (at == std::string::npos) return "";
        size_t end = at;
        while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_' || text[end] == '-')) ++end;
        return text.substr(at, end - at);
    }

    std::string dir_, config_, data_, admin_;
    int port_ = 0;
};

TEST_F(DoctorTest, SoundSetupPassesEveryCheck) {
    const ProcessResult r = doctor();
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::istringstream lines(r.out);
    std::string line;
    std::getline(lines, line);
    EXPECT_NE(line.find("clawbot doctor"), std::string::npos) << r.out;
    int checks = 0;
    for (; std::getline(lines, line);) {
        if (line.find(" checks: ") != std::string::npos) {
            EXPECT_NE(line.find(": 0 failed,"), std::string::npos) << r.out;
            break;
        }
        ++checks;
        EXPECT_TRUE(line.rfind("OK   ", 0) == 0 || line.rfind("WARN ", 0) == 0) << line << "\n" << r.out;
    }
    EXPECT_GE(checks, 10) << r.out;
    if (::getpwnam("clawbot") == nullptr) {
        EXPECT_NE(line_starting(r.out, "OK   config file: " + config_ + " (mode 0600"), "") << r.out;
    } else {  // an installed service user cannot read this test's root-owned file
        EXPECT_NE(line_starting(r.out, "WARN config file: " + config_ + " is owned by "), "") << r.out;
    }
    EXPECT_NE(line_starting(r.out, "OK   port: 127.0.0.1:" + std::to_string(port_) + " is free"), "") << r.out;
    EXPECT_NE(line_starting(r.out, "OK   model: ").find(": llama, "), std::string::npos) << r.out;
    EXPECT_NE(line_starting(r.out, "OK   memory: the model needs about "), "") << r.out;
    EXPECT_NE(line_starting(r.out, "OK   data dir: " + data_ + " is writable; database "), "") << r.out;
    EXPECT_NE(line_starting(r.out, "OK   access tokens: 1 active"), "") << r.out;
    EXPECT_NE(line_starting(r.out, "OK   locale: LANG=C.UTF-8 (UTF-8)"), "") << r.out;
    EXPECT_NE(line_starting(r.out, "OK   upstream: none used"), "") << r.out;
    EXPECT_NE(line_starting(r.out, "WARN CPU: ") + line_starting(r.out, "OK   CPU: "), "") << r.out;
    EXPECT_EQ(r.err, "");
}

TEST_F(DoctorTest, RedisStoreIsCheckedForReachabilityAndDurability) {
    RedisServer durable;
    ASSERT_TRUE(durable.running()) << durable.error();
    auto [rc, out] = run_clawbot_command("token create --name t --admin --store " + durable.url());
    ASSERT_EQ(rc, 0) << out;
    ProcessResult r = doctor({{"--store", durable.url()}});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(line_starting(r.out, "OK   store: Redis at "), "") << r.out;
    EXPECT_NE(line_starting(r.out, "OK   access tokens: 1 active"), "") << r.out;

    RedisServer volatile_redis(RedisServerOptions{.aof_always = false, .password = ""});
    ASSERT_TRUE(volatile_redis.running()) << volatile_redis.error();
    r = doctor({{"--store", volatile_redis.url()}, {"--host", "127.0.0.1"}});
    EXPECT_NE(line_starting(r.out, "WARN store: Redis at "), "") << r.out;
    EXPECT_NE(r.out.find("appendfsync always"), std::string::npos) << r.out;

    durable.kill();
    r = doctor({{"--store", durable.url()}});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(line_starting(r.out, "FAIL store: "), "") << r.out;
    EXPECT_NE(r.out.find("redis-server"), std::string::npos) << r.out;
}

TEST_F(DoctorTest, DoesNotChangeAnExistingDatabase) {
    const std::string db = data_ + "/clawbot.db";
    const std::string before = read_file(db);
    ASSERT_EQ(doctor().exit_code, 0);
    const ProcessResult tokens = run_clawbot("token list --config " + shell_quote(config_));
    EXPECT_EQ(std::count(tokens.out.begin(), tokens.out.end(), '\n'), 2) << tokens.out;  // heading + admin
    EXPECT_EQ(read_file(db), before);
}

TEST_F(DoctorTest, PortHeldByARunningClawbotNamesItsPid) {
    ServerProcess server({"--config", config_, "--model-path", shared_path("models/stories260K.gguf"), "--ctx-size", "256"});
    ASSERT_TRUE(server.started()) << server.log();
    port_ = server.port();
    const ProcessResult r = doctor();
    EXPECT_EQ(r.exit_code, 1) << r.out;
    const std::string line = line_starting(r.out, "FAIL port: 127.0.0.1:" + std::to_string(port_) + " is already in use");
    EXPECT_NE(line.find("clawbot is already running as PID " + std::to_string(server.pid())), std::string::npos) << r.out;
    EXPECT_NE(line.find("systemctl stop clawbot-service"), std::string::npos) << line;
}

TEST_F(DoctorTest, PortHeldByAnotherProcessNamesItsPid) {
    HeldPort held;
    ASSERT_GT(held.port(), 0);
    port_ = held.port();
    const ProcessResult r = doctor();
    EXPECT_EQ(r.exit_code, 1) << r.out;
    const std::string line = line_starting(r.out, "FAIL port: ");
    EXPECT_NE(line.find("held by PID " + std::to_string(::getpid()) + " ("), std::string::npos) << r.out;
    EXPECT_NE(line.find("Fix: stop that process, or pick another PORT"), std::string::npos) << line;
    // The other checks still ran.
    EXPECT_NE(line_starting(r.out, "OK   model: "), "") << r.out;
    EXPECT_NE(r.out.find(" checks: 1 failed,"), std::string::npos) << r.out;
}

TEST_F(DoctorTest, GroupReadableConfigWithAKeyFailsWithTheChmodFix) {
    write_text(config_, "DATA_DIR=" + data_ + "\nAPI_KEY=sk-very-secret-value\n", 0644);
    const ProcessResult r = doctor();
    EXPECT_EQ(r.exit_code, 1) << r.out;
    const std::string line = line_starting(r.out, "FAIL config file: ");
    EXPECT_NE(line.find("holds a secret (API_KEY) but has mode 0644"), std::string::npos) << r.out;
    EXPECT_NE(line.find("Fix: chmod 600 " + config_), std::string::npos) << line;
    EXPECT_EQ(r.out.find("sk-very-secret-value"), std::string::npos) << r.out;
    // The checks that need no settings still ran; the others say why not.
    EXPECT_NE(line_starting(r.out, "SKIP settings: "), "") << r.out;
    EXPECT_NE(line_starting(r.out, "OK   locale: "), "") << r.out;
    EXPECT_NE(line_starting(r.out, "SKIP port, model, "), "") << r.out;

    ::chmod(config_.c_str(), 0600);
    const ProcessResult fixed = doctor();
    EXPECT_NE(line_starting(fixed.out, "OK   config file: "), "") << fixed.out;
    EXPECT_EQ(fixed.out.find("sk-very-secret-value"), std::string::npos) << fixed.out;
}

TEST_F(DoctorTest, GroupReadableConfigWithoutAKeyOnlyWarns) {
    write_text(config_, "DATA_DIR=" + data_ + "\n", 0644);
    const ProcessResult r = doctor();
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(line_starting(r.out, "WARN config file: ").find("chmod 600"), std::string::npos) << r.out;
}

TEST_F(DoctorTest, BadSettingValueIsReportedWithTheLoadersMessage) {
    const ProcessResult r = doctor({}, {{"CTX_SIZE", std::nullopt}, {"MAX_BATCH_SIZE", "lots"}});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(line_starting(r.out, "FAIL settings: ").find("MAX_BATCH_SIZE"), std::string::npos) << r.out;
    EXPECT_NE(line_starting(r.out, "OK   locale: "), "") << r.out;
}

TEST_F(DoctorTest, NoConfigFileMeansDefaults) {
    if (std::filesystem::exists("/etc/clawbot/config.env")) GTEST_SKIP() << "this machine has /etc/clawbot/config.env";
    const ProcessResult r = doctor({{"--config", ""}, {"--data-dir", data_}});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(line_starting(r.out, "OK   config file: none (/etc/clawbot/config.env does not exist): defaults"), "") << r.out;
    EXPECT_NE(line_starting(r.out, "OK   settings: PROVIDER=local, HOST=127.0.0.1, PORT=" + std::to_string(port_)), "") << r.out;
}

TEST_F(DoctorTest, MissingConfigFileGivenExplicitlyFails) {
    config_ = dir_ + "/nowhere.env";
    const ProcessResult r = doctor();
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(line_starting(r.out, "FAIL config file: " + config_ + " does not exist").find("clawbot init --config"),
              std::string::npos)
        << r.out;
}

TEST_F(DoctorTest, MissingModelFails) {
    const ProcessResult r = doctor({{"--model-path", dir_ + "/nope.gguf"}});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(line_starting(r.out, "FAIL model: MODEL_PATH " + dir_ + "/nope.gguf does not exist"), "") << r.out;
    EXPECT_NE(line_starting(r.out, "SKIP memory: "), "") << r.out;
}

TEST_F(DoctorTest, UnsetModelPathFails) {
    const ProcessResult r = doctor({{"--model-path", ""}});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(line_starting(r.out, "FAIL model: MODEL_PATH is not set"), "") << r.out;
}

TEST_F(DoctorTest, TruncatedModelFailsWithoutCrashing) {
    const std::string whole = read_file(shared_path("models/stories260K.gguf"));
    const std::string cut = dir_ + "/cut.gguf";
    write_text(cut, whole.substr(0, whole.size() / 2), 0644);
    const ProcessResult r = doctor({{"--model-path", cut}});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(line_starting(r.out, "FAIL model: " + cut + " is not a valid GGUF file: ").find("Fix: download it again"),
              std::string::npos)
        << r.out;
}

TEST_F(DoctorTest, RandomBytesModelFailsWithoutCrashing) {
    std::mt19937 rng(7);
    std::string junk(64 * 1024, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    for (const std::string& content : {junk, std::string("GGUF") + junk, std::string()}) {
        const std::string path = dir_ + "/junk.gguf";
        write_text(path, content, 0644);
        const ProcessResult r = doctor({{"--model-path", path}});
        EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
        EXPECT_NE(line_starting(r.out, "FAIL model: " + path + " is not a valid GGUF file: "), "") << r.out;
    }
}

TEST_F(DoctorTest, UnsupportedArchitectureFails) {
    gguf::GgufWriter writer;
    writer.set_string("general.architecture", "gpt2");
    writer.add_tensor("token_embd.weight", DType::F32, {4, 2}, std::vector<uint8_t>(32, 0));
    const std::string path = dir_ + "/gpt2.gguf";
    ASSERT_TRUE(writer.write(path).ok());
    const ProcessResult r = doctor({{"--model-path", path}});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    const std::string line = line_starting(r.out, "FAIL model: " + path + " is a GGUF file the engine cannot run: ");
    EXPECT_NE(line.find("unsupported architecture 'gpt2'"), std::string::npos) << r.out;
}

TEST_F(DoctorTest, DataDirThatCannotBeCreatedFails) {
    // Tests run as root, for whom permission bits stop nothing: a path
    // under a regular file cannot be created by anyone.
    write_text(dir_ + "/plain-file", "x", 0644);
    const std::string data = dir_ + "/plain-file/sub";
    const ProcessResult r = doctor({{"--data-dir", data}});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    const std::string line = line_starting(r.out, "FAIL data dir: cannot create DATA_DIR " + data + ": ");
    EXPECT_NE(line.find(dir_ + "/plain-file is not a directory"), std::string::npos) << r.out;
    EXPECT_NE(line_starting(r.out, "SKIP access tokens: "), "") << r.out;
    EXPECT_FALSE(std::filesystem::exists(data));
}

TEST_F(DoctorTest, MissingDataDirIsCreatedByTheServerNotByDoctor) {
    const std::string data = dir_ + "/later/data";
    const ProcessResult r = doctor({{"--data-dir", data}});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(line_starting(r.out, "OK   data dir: " + data + " does not exist yet"), "") << r.out;
    EXPECT_NE(line_starting(r.out, "WARN access tokens: none exists yet"), "") << r.out;
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/later"));
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
        EXPECT_EQ(entry.path().filename().string().find(".clawbot-doctor"), std::string::npos) << entry.path();
    }
}

TEST_F(DoctorTest, NoTokenOnAPublicHostFails) {
    const ProcessResult r = doctor({{"--data-dir", dir_ + "/empty"}, {"--host", "0.0.0.0"}});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(line_starting(r.out, "FAIL access tokens: none exists and HOST=0.0.0.0 is not loopback"), "") << r.out;
}

TEST_F(DoctorTest, UnwritableLogFileDirectoryFails) {
    write_text(dir_ + "/plain-file", "x", 0644);
    const ProcessResult r = doctor({{"--log-file", dir_ + "/plain-file/clawbot.log"}});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(line_starting(r.out, "FAIL log file: "), "") << r.out;
}

TEST_F(DoctorTest, NonUtf8LocaleFailsWithTheGarbledTextFix) {
    const ProcessResult r = doctor({}, {{"LANG", "C"}});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    const std::string line = line_starting(r.out, "FAIL locale: LANG=C gives the ");
    EXPECT_NE(line.find("garbled"), std::string::npos) << r.out;
    EXPECT_NE(line.find("export LANG=C.UTF-8"), std::string::npos) << line;
    EXPECT_NE(line.find("Environment=LANG=C.UTF-8"), std::string::npos) << line;

    const ProcessResult unset = doctor({}, {{"LANG", std::nullopt}});
    EXPECT_EQ(unset.exit_code, 1) << unset.out;
    EXPECT_NE(line_starting(unset.out, "FAIL locale: LANG, LC_ALL and LC_CTYPE unset"), "") << unset.out;

    const ProcessResult missing = doctor({}, {{"LANG", "xx_XX.UTF-8"}});
    EXPECT_EQ(missing.exit_code, 1) << missing.out;
    EXPECT_NE(line_starting(missing.out, "FAIL locale: LANG=xx_XX.UTF-8 names a locale this machine does not have"), "")
        << missing.out;

    const ProcessResult overridden = doctor({}, {{"LANG", "C"}, {"LC_ALL", "C.UTF-8"}});
    EXPECT_NE(line_starting(overridden.out, "OK   locale: LC_ALL=C.UTF-8"), "") << overridden.out;
}

TEST_F(DoctorTest, KernelCapFromClawbotIsaIsReported) {
    const ProcessResult bogus = doctor({}, {{"CLAWBOT_ISA", "avx9"}});
    EXPECT_EQ(bogus.exit_code, 0) << bogus.out;
    const std::string ignored = line_starting(bogus.out, "WARN CPU: ");
    EXPECT_NE(ignored.find("CLAWBOT_ISA=avx9 is not scalar, avx2 or avx512, so it is ignored"), std::string::npos)
        << bogus.out;
    EXPECT_NE(ignored.find("unset CLAWBOT_ISA"), std::string::npos) << ignored;

    // The cap slows answers only where the CPU has better kernels than it.
    const ProcessResult scalar = doctor({}, {{"CLAWBOT_ISA", "scalar"}});
    EXPECT_EQ(scalar.exit_code, 0) << scalar.out;
    const std::string capped = line_starting(scalar.out, "WARN CPU: ");
    if (kernels::cpu_isa() != kernels::Isa::Scalar) {
        EXPECT_NE(capped.find(std::string("CLAWBOT_ISA=scalar holds the engine to its scalar kernels, slower than the ") +
                              kernels::isa_name(kernels::cpu_isa())),
                  std::string::npos)
            << scalar.out;
    } else {
        EXPECT_EQ(capped.find("CLAWBOT_ISA"), std::string::npos) << scalar.out;
    }

    const std::string best = kernels::isa_name(kernels::cpu_isa());
    const ProcessResult uncapped = doctor({}, {{"CLAWBOT_ISA", best}});
    EXPECT_EQ(line_starting(uncapped.out, "WARN CPU: ").find("CLAWBOT_ISA"), std::string::npos) << uncapped.out;
    EXPECT_NE((line_starting(uncapped.out, "OK   CPU: ") + line_starting(uncapped.out, "WARN CPU: "))
                  .find("the engine uses its " + best + " kernels"),
              std::string::npos)
        << uncapped.out;
}

// --- cloud mode: another clawbot in local mode is the upstream -------------------

class DoctorCloudTest : public DoctorTest {
protected:
    void SetUp() override {
        DoctorTest::SetUp();
        if (HasFatalFailure()) return;
        upstream_ = std::make_unique<ServerProcess>(std::vector<std::string>{
            "--config", config_, "--model-path", shared_path("models/stories260K.gguf"), "--ctx-size", "256"});
        ASSERT_TRUE(upstream_->started()) << upstream_->log();
    }
    void TearDown() override {
        upstream_.reset();
        DoctorTest::TearDown();
    }

    ProcessResult cloud_doctor(int upstream_port, const std::string& key) {
        const std::string url = "http://127.0.0.1:" + std::to_string(upstream_port) + "/v1";
        return doctor({{"--provider", "openai"}, {"--upstream-url", url}, {"--upstream-model", "stories260K"}},
                      {{"API_KEY", key}});
    }

    std::unique_ptr<ServerProcess> upstream_;
};

TEST_F(DoctorCloudTest, AcceptedKeyPasses) {
    const ProcessResult r = cloud_doctor(upstream_->port(), admin_);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(line_starting(r.out, "OK   upstream: http://127.0.0.1:" + std::to_string(upstream_->port()) + "/v1 answers"), "")
        << r.out;
    EXPECT_NE(line_starting(r.out, "OK   model: none needed in cloud mode"), "") << r.out;
    EXPECT_EQ(r.out.find(admin_), std::string::npos) << r.out;
}

TEST_F(DoctorCloudTest, RefusedKeyFailsWith401) {
    const std::string wrong = "cb_this_key_is_not_known_to_the_upstream";
    const ProcessResult r = cloud_doctor(upstream_->port(), wrong);
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(line_starting(r.out, "FAIL upstream: the upstream refused the API key (HTTP 401"), "") << r.out;
    EXPECT_EQ(r.out.find(wrong), std::string::npos) << r.out;
}

TEST_F(DoctorCloudTest, ClosedPortFailsUnreachable) {
    const ProcessResult r = cloud_doctor(free_port(), admin_);
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(line_starting(r.out, "FAIL upstream: cannot reach UPSTREAM_URL http://127.0.0.1:"), "") << r.out;
    EXPECT_EQ(r.out.find(admin_), std::string::npos) << r.out;
}

TEST_F(DoctorCloudTest, PasswordInTheUrlIsNeverPrinted) {
    const std::string url = "http://user:hunter2@127.0.0.1:" + std::to_string(upstream_->port()) + "/v1";
    const ProcessResult r = doctor({{"--provider", "openai"}, {"--upstream-url", url}, {"--upstream-model", "m"}},
                                   {{"API_KEY", admin_}});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(line_starting(r.out, "FAIL upstream: "), "") << r.out;
    EXPECT_EQ(r.out.find("hunter2"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find(admin_), std::string::npos) << r.out;
}

TEST_F(DoctorCloudTest, IncompleteCloudSettingsFail) {
    const ProcessResult r = doctor({{"--provider", "openai"}});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(line_starting(r.out, "FAIL upstream: cloud mode (PROVIDER=openai) needs UPSTREAM_URL, UPSTREAM_MODEL, API_KEY"),
              "")
        << r.out;
}

}  // namespace
}  // namespace clawbot::test
