#pragma once
// Options and entry points of the `clawbot` subcommands. main.cpp parses the
// command line into these structs; each command lives in its own file and
// returns the process exit code.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace clawbot::cli {

struct GenerateOptions {
    std::string model;
    std::string prompt;  // "-" or empty: standard input
    int max_tokens = 128;
    float temperature = 0.8f;
    int top_k = 40;
    float top_p = 0.95f;
    float min_p = 0.05f;
    float repeat_penalty = 1.0f;
    float frequency_penalty = 0.0f;
    float presence_penalty = 0.0f;
    uint64_t seed = 0;
    int threads = 0;  // 0 = physical cores
    int ctx_size = 2048;
    bool json = false;
    bool logits = false;  // --json adds "last_logits"
    bool no_repack = false;
};
int run_generate(const GenerateOptions& o);

struct TokenizeOptions {
    std::string model;
    std::string text;
    bool no_bos = false;
    bool parse_special = false;
};
int run_tokenize(const TokenizeOptions& o);

struct BenchOptions {
    std::string model;
    int prompt_tokens = 128;
    int gen_tokens = 32;
    int threads = 0;
    int repetitions = 3;
    bool json = false;
    std::string batches;  // "1,4,16,32": also decode that many sequences together
    bool no_repack = false;
    std::string grammar_file;  // decode under this grammar (GBNF): constrained decoding's cost
};
int run_bench(const BenchOptions& o);

struct QuantizeOptions {
    std::string input;
    std::string output;
    std::string type;
    int threads = 0;
    bool force = false;  // replace an existing output
};
int run_quantize(const QuantizeOptions& o);

struct MakeModelOptions {
    std::string shape;
    std::string type = "f32";
    std::string output;
    std::string vocab_from;  // copy tokenizer.* metadata from this GGUF
    uint64_t seed = 1;
    int threads = 0;
};
int run_make_model(const MakeModelOptions& o);

// `clawbot loadtest`: simulated users streaming multi-turn chats.
struct LoadtestOptions {
    std::string url;    // http://HOST[:PORT][/PREFIX]
    std::string token;  // bearer token sent by every user
    int users = 16;
    int turns = 3;
    int max_tokens = 48;
    std::string system_prompt = "You are a helpful assistant.";
    std::string model;  // sent as "model" when set
    uint64_t seed = 1;
    int timeout_s = 300;  // per request, connect to last byte
    bool json = false;
    double max_error_rate = 0.0;  // failed requests / requests above it: exit 1 (after the report)
};
int run_loadtest(const LoadtestOptions& o);

// Settings given on the command line (keyed by setting NAME) and --config.
struct ShowOptions {
    std::string model;
    std::optional<int> ctx_size;        // default: CTX_SIZE from the config, else 4096
    std::optional<int> max_batch_size;  // default: MAX_BATCH_SIZE from the config, else 16
    std::optional<std::string> config;
    bool json = false;
};
int run_show(const ShowOptions& o);

struct ServiceOptions {
    std::map<std::string, std::string> flags;
    std::optional<std::string> config;
};
int run_serve(const ServiceOptions& o);
// Writes the config file (0600) and data directory, prints a first admin token.
int run_init(const ServiceOptions& o);
int run_token_create(const ServiceOptions& o, const std::string& name, bool admin);
int run_token_list(const ServiceOptions& o);
int run_token_revoke(const ServiceOptions& o, const std::string& id);
// Checks the settings, this machine and the upstream; 0 only when all pass.
int run_doctor(const ServiceOptions& o);

// `clawbot chat`: a conversation in the terminal, local or with a server.
struct ChatOptions {
    std::string model;   // local: a GGUF file or a models-dir name; with --url: the model name to ask for
    std::string url;     // a server (its OpenAI-compatible API)
    std::string token;   // its access token or API key
    std::string system;  // system prompt
    int max_tokens = 512;
    float temperature = 0.8f;
    std::optional<uint64_t> seed;
    int threads = 0;
    int ctx_size = 4096;
    std::optional<std::string> config;  // MODELS_DIR/DATA_DIR for model names
};
int run_chat(const ChatOptions& o);

// `clawbot pull URL|hf:OWNER/REPO/FILE.gguf`: into MODELS_DIR.
struct PullOptions {
    std::string reference;
    std::string sha256;  // expected, hex; empty: not checked (the hash is printed)
    std::string name;    // file name in MODELS_DIR; default: the URL's
    bool force = false;  // download again over an existing file
};
int run_pull(const PullOptions& p, const ServiceOptions& o);
int run_models_list(const ServiceOptions& o);
int run_models_show(const std::string& name, const ServiceOptions& o);
int run_models_rm(const std::string& name, const ServiceOptions& o);

// Prints "clawbot: error: MESSAGE" on one line of stderr; returns 1.
int fail(const std::string& message);
// Thread count to use: the option if positive, else the physical cores.
int resolve_threads(int requested);

}  // namespace clawbot::cli
