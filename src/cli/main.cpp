// `clawbot` command line: parses arguments and hands each subcommand its
// options struct.
#include <cstdlib>
#include <algorithm>
#include <array>
#include <span>
#include <string_view>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/quant_mixture.h"
#include "service/config/settings_table.h"

namespace {

using namespace clawbot::cli;

void add_sampling_options(CLI::App* cmd, GenerateOptions& o) {
    cmd->add_option("--temperature", o.temperature, "Sampling temperature; 0 is greedy")->capture_default_str();
    cmd->add_option("--top-k", o.top_k, "Keep the k most likely tokens (0 = off)")->capture_default_str();
    cmd->add_option("--top-p", o.top_p, "Nucleus sampling threshold (1 = off)")->capture_default_str();
    cmd->add_option("--min-p", o.min_p, "Drop tokens below this fraction of the best (0 = off)")->capture_default_str();
    cmd->add_option("--repeat-penalty", o.repeat_penalty, "Penalty for recently seen tokens (1 = off)")->capture_default_str();
    cmd->add_option("--frequency-penalty", o.frequency_penalty, "Subtracted per occurrence")->capture_default_str();
    cmd->add_option("--presence-penalty", o.presence_penalty, "Subtracted once per seen token")->capture_default_str();
    cmd->add_option("--seed", o.seed, "Random seed: the same seed gives the same output")->capture_default_str();
}

// One flag per setting (--model-path for MODEL_PATH, ...), collected by
// setting name so the loader can apply flags > environment > file. `only`:
// the settings a command uses (its --help lists no others); empty: all.
void add_setting_flags(CLI::App* cmd, ServiceOptions& o, std::span<const std::string_view> only = {}) {
    for (const auto& spec : clawbot::service::settings_table()) {
        if (only.size() && std::find(only.begin(), only.end(), spec.name) == only.end()) continue;
        const std::string name(spec.name);
        std::string help = std::string(spec.description) + " [env " + name;
        if (!spec.secret && !clawbot::service::default_text(spec).empty())
            help += ", default " + clawbot::service::default_text(spec);
        help += "]";
        cmd->add_option_function<std::string>(
               clawbot::service::flag_name(spec), [&o, name](const std::string& v) { o.flags[name] = v; }, help)
            ->type_name(clawbot::service::value_placeholder(spec));
    }
    cmd->add_option_function<std::string>(
        "--config", [&o](const std::string& v) { o.config = v; },
        "Config file of KEY=VALUE lines (default /etc/clawbot/config.env when it exists)");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"clawbot: a self-hosted AI chat service with its own GGUF inference engine"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "clawbot 0.1.0");

    GenerateOptions gen;
    auto* generate = app.add_subcommand("generate", "Continue a prompt with a local GGUF model");
    generate->add_option("--model,-m", gen.model, "Path to a GGUF model")->required();
    generate->add_option("--prompt,-p", gen.prompt, "Prompt text; \"-\" or none reads it from standard input");
    generate->add_option("--max-tokens,-n", gen.max_tokens, "Stop after this many tokens")->capture_default_str()->check(CLI::NonNegativeNumber);
    add_sampling_options(generate, gen);
    generate->add_option("--threads,-t", gen.threads, "Worker threads (default: physical cores)")->check(CLI::NonNegativeNumber);
    generate->add_option("--ctx-size", gen.ctx_size, "Context size in tokens")->capture_default_str()->check(CLI::Range(16, 1 << 20));
    generate->add_flag("--json", gen.json, "Print one JSON object: prompt_tokens, tokens, text");
    generate->add_flag("--logits", gen.logits, "With --json: add last_logits, every logit after the last prompt token");
    generate->add_flag("--no-repack", gen.no_repack, "Run on the mapped file instead of packed copies of the weights (less memory, slower)");

    TokenizeOptions tok;
    auto* tokenize = app.add_subcommand("tokenize", "Print the token ids of a text as a JSON array");
    tokenize->add_option("--model,-m", tok.model, "GGUF model or vocabulary-only file")->required();
    tokenize->add_flag("--no-bos", tok.no_bos, "Do not add BOS/EOS");
    tokenize->add_flag("--parse-special", tok.parse_special, "Turn special-token text into special tokens");
    tokenize->add_option("text", tok.text, "Text to tokenize")->required();

    BenchOptions bench;
    auto* bench_cmd = app.add_subcommand("bench", "Measure prefill and decode speed (median of several runs)");
    bench_cmd->add_option("--model,-m", bench.model, "Path to a GGUF model")->required();
    bench_cmd->add_option("--prompt-tokens", bench.prompt_tokens, "Prompt length")->capture_default_str()->check(CLI::Range(1, 65536));
    bench_cmd->add_option("--gen-tokens", bench.gen_tokens, "Tokens to decode")->capture_default_str()->check(CLI::Range(1, 65536));
    bench_cmd->add_option("--threads,-t", bench.threads, "Worker threads (default: physical cores)")->check(CLI::NonNegativeNumber);
    bench_cmd->add_option("--repetitions,-r", bench.repetitions, "Runs to take the median of")->capture_default_str()->check(CLI::Range(1, 100));
    bench_cmd->add_flag("--json", bench.json, "Print one JSON object");
    bench_cmd->add_flag("--no-repack", bench.no_repack, "Run on the mapped file instead of packed copies of the weights (compare the two)");
    bench_cmd->add_option("--batch", bench.batches,
                          "Batch sizes, e.g. 1,4,16,32: that many sequences (each with its own prompt) prefilled and "
                          "decoded together; adds aggregate tok/s per size and the thread pool's barrier cost");
    bench_cmd->add_option("--grammar", bench.grammar_file,
                          "A grammar file (GBNF) every decoded token must follow: the single-request figures then "
                          "include its mask, for comparison with a run without it");

    QuantizeOptions quant;
    auto* quantize = app.add_subcommand("quantize", "Convert an F32/F16/BF16 GGUF model to a quantized type, on every core");
    quantize->add_option("input", quant.input, "Source GGUF (F32, F16 or BF16 weights)")->required();
    quantize->add_option("output", quant.output, "Destination GGUF")->required();
    quantize->add_option("--type", quant.type, std::string(clawbot::cli::kQuantizeTypesHelp))->required();
    quantize->add_flag("--force", quant.force, "Replace OUTPUT if it exists (it is written to a temporary file first)");
    quantize->add_option("--threads,-t", quant.threads, "Worker threads")->check(CLI::NonNegativeNumber);

    ShowOptions show;
    auto* show_cmd = app.add_subcommand("show", "Print a GGUF model's architecture, parameters, tensor types, context, chat format and the memory serving it takes");
    show_cmd->add_option("model", show.model, "Path to a GGUF model")->required();
    show_cmd->add_option("--ctx-size", show.ctx_size, "Context per sequence (default: CTX_SIZE from the config, else 4096)")->check(CLI::Range(16, 1 << 20));
    show_cmd->add_option("--max-batch-size", show.max_batch_size, "Sequences served at once (default: MAX_BATCH_SIZE from the config, else 16)")->check(CLI::Range(1, 4096));
    show_cmd->add_option("--config", show.config, "Config file to read CTX_SIZE and MAX_BATCH_SIZE from (default: /etc/clawbot/config.env if readable)");
    show_cmd->add_flag("--json", show.json, "Print one JSON object");

    MakeModelOptions mk;
    auto* make_model = app.add_subcommand("make-model", "Write a random-weight GGUF model of a named shape (benchmarks, tests)");
    make_model->add_option("--shape", mk.shape, "tinyllama-1.1b, llama-7b, bench-125m, moe-bench (qwen3moe, 128 experts, 8 used), moe-bench-dense (its active size, dense), test-tiny, test-small")->required();
    make_model->add_option("--type", mk.type, "f32, f16, bf16 or any type quantize takes (not the mixtures)")->capture_default_str();
    make_model->add_option("--out,-o", mk.output, "Destination GGUF")->required();
    make_model->add_option("--vocab-from", mk.vocab_from, "Copy the tokenizer from this GGUF (its vocabulary size wins)");
    make_model->add_option("--seed", mk.seed, "Random seed")->capture_default_str();
    make_model->add_option("--threads,-t", mk.threads, "Worker threads")->check(CLI::NonNegativeNumber);

    ServiceOptions service;
    auto* serve = app.add_subcommand("serve", "Serve the chat page and the HTTP API (default 127.0.0.1:18789)");
    add_setting_flags(serve, service);
    serve->add_option_function<std::string>(
        "--model", [&service](const std::string& v) { service.flags["MODEL_PATH"] = v; },
        "The model: a GGUF file, or a name `clawbot models list` shows (same as --model-path)");

    // Model commands use the models directory (and the data directory it defaults under).
    static constexpr std::array<std::string_view, 3> kModelSettings = {"MODELS_DIR", "DATA_DIR", "MODEL_PATH"};
    PullOptions pull;
    auto* pull_cmd = app.add_subcommand("pull", "Download a GGUF model into MODELS_DIR (resumable; checked before use)");
    pull_cmd->add_option("model", pull.reference,
                         "https://.../FILE.gguf, or hf:OWNER/REPO/FILE.gguf[@REVISION] (HF_ENDPOINT, HF_TOKEN are read)")
        ->required();
    pull_cmd->add_option("--sha256", pull.sha256, "The file's expected SHA-256 (hex); a mismatch deletes it");
    pull_cmd->add_option("--name", pull.name, "File name in MODELS_DIR (default: the URL's)");
    pull_cmd->add_flag("--force", pull.force, "Download again over an existing model of that name");
    add_setting_flags(pull_cmd, service, kModelSettings);
    auto* models = app.add_subcommand("models", "The models in MODELS_DIR: list, show NAME, rm NAME");
    models->require_subcommand(1);
    std::string model_name;
    auto* models_list = models->add_subcommand("list", "Name, size, architecture, quantization, and which one MODEL_PATH names");
    add_setting_flags(models_list, service, kModelSettings);
    auto* models_show = models->add_subcommand("show", "What a model is and the memory serving it takes (as `clawbot show`)");
    models_show->add_option("name", model_name, "A name from `clawbot models list`")->required();
    add_setting_flags(models_show, service, kModelSettings);
    auto* models_rm = models->add_subcommand("rm", "Delete a model file from MODELS_DIR");
    models_rm->add_option("name", model_name, "A name from `clawbot models list`")->required();
    add_setting_flags(models_rm, service, kModelSettings);

    auto* init = app.add_subcommand("init", "Create the config file (mode 0600) and data directory, print a first admin token");
    add_setting_flags(init, service);

    auto* token = app.add_subcommand("token", "Manage access tokens");
    token->require_subcommand(1);
    std::string token_name = "token", token_id;
    bool token_admin = false;
    auto* token_create = token->add_subcommand("create", "Create a token and print it once");
    token_create->add_option("--name", token_name, "A name to recognise it by")->capture_default_str();
    token_create->add_flag("--admin", token_admin, "May manage tokens");
    // Token commands use only the store (the rest of the file is read, not flagged).
    static constexpr std::array<std::string_view, 3> kStoreSettings = {"DATA_DIR", "STORE", "STORE_TIMEOUT_MS"};
    add_setting_flags(token_create, service, kStoreSettings);
    auto* token_list = token->add_subcommand("list", "List tokens (never their secrets)");
    add_setting_flags(token_list, service, kStoreSettings);
    auto* token_revoke = token->add_subcommand("revoke", "Revoke a token; refused from its next request on");
    token_revoke->add_option("id", token_id, "Token id (tok_...)")->required();
    add_setting_flags(token_revoke, service, kStoreSettings);

    auto* doctor_cmd = app.add_subcommand("doctor", "Check the settings, port, model, memory, CPU, data directory, locale "
                                                    "and upstream; print the fix for each problem (exit 0 when all pass)");
    add_setting_flags(doctor_cmd, service);

    LoadtestOptions load;
    auto* loadtest = app.add_subcommand("loadtest", "Simulate users streaming multi-turn chats against /v1/chat/completions");
    loadtest->add_option("--url", load.url, "Server base URL, http://HOST:PORT (https is not supported)")->required();
    loadtest->add_option("--token", load.token, "Bearer token every user sends")->required();
    loadtest->add_option("--users", load.users, "Simultaneous users")->capture_default_str()->check(CLI::Range(1, 1000));
    loadtest->add_option("--turns", load.turns, "Turns per conversation")->capture_default_str()->check(CLI::Range(1, 1000));
    loadtest->add_option("--max-tokens", load.max_tokens, "max_tokens of each request")->capture_default_str()->check(CLI::Range(1, 1 << 20));
    loadtest->add_option("--system", load.system_prompt, "System prompt (empty: none)")->capture_default_str();
    loadtest->add_option("--model", load.model, "\"model\" to send (default: none)");
    loadtest->add_option("--seed", load.seed, "Seed of the users' random questions")->capture_default_str();
    loadtest->add_option("--timeout-s", load.timeout_s, "Per-request deadline in seconds")->capture_default_str()->check(CLI::Range(1, 86400));
    loadtest->add_flag("--json", load.json, "Print one JSON object instead of the text report");
    loadtest->add_option("--max-error-rate", load.max_error_rate,
                         "Fraction of requests that may fail (0..1) before the exit status is 1; the report is printed either way")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));

    ChatOptions chat;
    auto* chat_cmd = app.add_subcommand("chat", "Chat in the terminal with a local model or a running server (Ctrl-C stops an answer)");
    chat_cmd->add_option("--model,-m", chat.model, "A GGUF file or a name from `clawbot models list`; with --url, the model to ask for");
    chat_cmd->add_option("--url", chat.url, "A running server instead: http(s)://HOST:PORT (its /v1 API), or any OpenAI-compatible base URL");
    chat_cmd->add_option("--token", chat.token, "The server's access token (or API key), with --url; default: env CLAWBOT_TOKEN");
    chat_cmd->add_option("--system", chat.system, "System prompt (/system changes it)");
    chat_cmd->add_option("--max-tokens", chat.max_tokens, "Most tokens per answer")->capture_default_str()->check(CLI::Range(1, 1 << 20));
    chat_cmd->add_option("--temperature", chat.temperature, "0 is greedy")->capture_default_str()->check(CLI::Range(0.0, 2.0));
    chat_cmd->add_option("--seed", chat.seed, "Random seed (default: random)");
    chat_cmd->add_option("--threads", chat.threads, "Local model: inference threads (0 = physical cores)")->capture_default_str();
    chat_cmd->add_option("--ctx-size", chat.ctx_size, "Local model: context length")->capture_default_str()->check(CLI::Range(16, 1 << 20));
    chat_cmd->add_option_function<std::string>("--config", [&chat](const std::string& v) { chat.config = v; },
                                               "Config file (for MODELS_DIR / DATA_DIR when --model is a name)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (*generate) return run_generate(gen);
    if (*tokenize) return run_tokenize(tok);
    if (*bench_cmd) return run_bench(bench);
    if (*quantize) return run_quantize(quant);
    if (*make_model) return run_make_model(mk);
    if (*serve) return run_serve(service);
    if (*init) return run_init(service);
    if (*token_create) return run_token_create(service, token_name, token_admin);
    if (*token_list) return run_token_list(service);
    if (*token_revoke) return run_token_revoke(service, token_id);
    if (*loadtest) return run_loadtest(load);
    if (*doctor_cmd) return run_doctor(service);
    if (*show_cmd) return run_show(show);
    if (*pull_cmd) return run_pull(pull, service);
    if (*chat_cmd) {
        if (chat.token.empty()) {
            if (const char* t = std::getenv("CLAWBOT_TOKEN")) chat.token = t;
        }
        return run_chat(chat);
    }
    if (*models_list) return run_models_list(service);
    if (*models_show) return run_models_show(model_name, service);
    if (*models_rm) return run_models_rm(model_name, service);
    return 1;
}
