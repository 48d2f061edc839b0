// The command-line contract other tools rely on, tested on the real binary.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "engine/gguf/gguf_writer.h"
#include "engine/model/model.h"
#include "engine/tensor/packed_kernels.h"
#include "support/model_runner.h"
#include "support/process.h"
#include "support/test_support.h"

namespace clawbot {
namespace {

using test::run_clawbot;
using test::shell_quote;

std::string model_path(const std::string& stem) { return test::shared_path("models/" + stem + ".gguf"); }

int count_lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

TEST(Cli, GenerateJsonGreedyMatchesReference) {
    const auto ref = test::read_json(test::shared_path("reference/logits/stories260K.once.json"));
    const auto prompt_ids = ref["prompt"].get<std::vector<TokenId>>();
    auto model = Model::load(model_path("stories260K"));
    ASSERT_TRUE(model.ok());
    std::string prompt_text;  // the reference's prompt as text (after BOS)
    for (size_t i = 1; i < prompt_ids.size(); ++i) prompt_text += (*model)->tokenizer().token_to_piece(prompt_ids[i]);
    if (!prompt_text.empty() && prompt_text[0] == ' ') prompt_text.erase(0, 1);  // SPM adds the leading space back

    const auto r = run_clawbot("generate --model " + shell_quote(model_path("stories260K")) + " --prompt " +
                               shell_quote(prompt_text) + " --temperature 0 --max-tokens 64 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto out = nlohmann::json::parse(r.out);
    EXPECT_EQ(out["prompt_tokens"].get<std::vector<TokenId>>(), prompt_ids);
    EXPECT_EQ(out["tokens"].get<std::vector<TokenId>>(), ref["greedy"].get<std::vector<TokenId>>());
    EXPECT_EQ(out["text"].get<std::string>(), ref["greedy_text"].get<std::string>());
}

TEST(Cli, GenerateStopsAfterMaxTokensAndSeedIsReproducible) {
    const std::string args = "generate --model " + shell_quote(model_path("stories260K")) +
                             " --prompt 'Once upon a time' --temperature 1.0 --max-tokens 20 --json --seed ";
    const auto a = run_clawbot(args + "7"), b = run_clawbot(args + "7"), c = run_clawbot(args + "8");
    ASSERT_EQ(a.exit_code, 0) << a.err;
    const auto ta = nlohmann::json::parse(a.out)["tokens"], tb = nlohmann::json::parse(b.out)["tokens"],
               tc = nlohmann::json::parse(c.out)["tokens"];
    EXPECT_LE(ta.size(), 20u);
    EXPECT_EQ(ta, tb);
    EXPECT_NE(ta, tc);
}

TEST(Cli, TokenizeVocabularyOnlyFileMatchesReference) {
    // Every llama-bpe reference case through the real binary.
    std::ifstream in(test::shared_path("reference/tokenize/llama-bpe.jsonl"));
    std::string line;
    int n = 0;
    while (std::getline(in, line) && n < 12) {
        const auto c = nlohmann::json::parse(line);
        std::string args = "tokenize --model " + shell_quote(test::shared_path("vocab/ggml-vocab-llama-bpe.gguf"));
        if (!c["add_special"].get<bool>()) args += " --no-bos";
        if (c["parse_special"].get<bool>()) args += " --parse-special";
        args += " -- " + shell_quote(c["text"].get<std::string>());
        const auto r = run_clawbot(args);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(nlohmann::json::parse(r.out), c["tokens"]) << c["text"];
        ++n;
    }
    EXPECT_EQ(n, 12);
}

void expect_one_line_error(const test::ProcessResult& r, const std::string& phrase) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(phrase), std::string::npos) << r.err;
}

TEST(Cli, InitWritesAbsolutePathsSoTheConfigWorksFromAnyDirectory) {
    const std::string dir = test::make_temp_dir();
    std::filesystem::create_directories(dir + "/elsewhere");
    const auto made = test::run_with_prefix("cd " + shell_quote(dir) + " && ", "init --config c.env --data-dir ./data");
    ASSERT_EQ(made.exit_code, 0) << made.err;
    EXPECT_NE(made.out.find("--model-path MODEL.gguf"), std::string::npos) << "the start command needs a model: " << made.out;
    std::ifstream file(dir + "/c.env");
    const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("DATA_DIR=" + dir + "/data"), std::string::npos) << text;
    // An empty store is named, not listed as if all were well.
    const auto empty = run_clawbot("token list --data-dir " + shell_quote(dir + "/empty"));
    ASSERT_EQ(empty.exit_code, 0) << empty.err;
    EXPECT_NE(empty.err.find("no access tokens in SQLite at " + dir + "/empty"), std::string::npos) << empty.err;
    // From another directory, token list finds the same store (one admin token).
    const auto listed = test::run_with_prefix("cd " + shell_quote(dir + "/elsewhere") + " && ", "token list --config ../c.env");
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    EXPECT_NE(listed.out.find("admin"), std::string::npos) << listed.out;
    EXPECT_EQ(listed.err.find("no access tokens"), std::string::npos) << listed.err;
    EXPECT_FALSE(std::filesystem::exists(dir + "/elsewhere/data")) << "a second, empty store was made";
    std::filesystem::remove_all(dir);
}

TEST(Cli, TokenCommandsListOnlyTheStoreSettingsTheyUse) {
    for (const char* command : {"token list --help", "token create --help", "token revoke --help"}) {
        const auto r = run_clawbot(command);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        for (const char* own : {"--data-dir", "--store", "--config"}) EXPECT_NE(r.out.find(own), std::string::npos) << command;
        for (const char* other : {"--max-queue", "--model-path", "--port", "--api-key"}) {
            EXPECT_EQ(r.out.find(other), std::string::npos) << command << " lists " << other;
        }
    }
    EXPECT_NE(run_clawbot("serve --help").out.find("--max-queue"), std::string::npos);
}

TEST(Cli, GenerateReadsThePromptFromStandardInput) {
    const std::string dir = test::make_temp_dir();
    {
        std::ofstream(dir + "/prompt.txt") << "Once upon a time";
    }
    const std::string model = " --model " + shell_quote(model_path("stories260K")) + " --temperature 0 --max-tokens 16 --json";
    const auto given = run_clawbot("generate --prompt 'Once upon a time'" + model);
    const auto dash = run_clawbot("generate -p -" + model + " < " + dir + "/prompt.txt");
    const auto none = run_clawbot("generate" + model + " < " + dir + "/prompt.txt");
    ASSERT_EQ(given.exit_code, 0) << given.err;
    ASSERT_EQ(dash.exit_code, 0) << dash.err;
    ASSERT_EQ(none.exit_code, 0) << none.err;
    EXPECT_EQ(nlohmann::json::parse(dash.out)["tokens"], nlohmann::json::parse(given.out)["tokens"]);
    EXPECT_EQ(nlohmann::json::parse(none.out)["prompt_tokens"], nlohmann::json::parse(given.out)["prompt_tokens"]);
    expect_one_line_error(run_clawbot("generate -p -" + model + " < /dev/null"), "empty");
    std::filesystem::remove_all(dir);
}

TEST(Cli, MissingModelIsOneLineError) {
    expect_one_line_error(run_clawbot("generate --model /nonexistent/model.gguf --prompt hi"), "/nonexistent/model.gguf");
}

TEST(Cli, FifoAsModelIsRefusedWithoutHanging) {
    using namespace std::chrono_literals;
    const std::string dir = test::make_temp_dir();
    const std::string fifo = dir + "/model.gguf";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    // Should the binary block opening the FIFO, a writer end opened after
    // a while releases it, so a regression fails here instead of hanging.
    std::atomic<bool> done{false}, rescued{false};
    std::thread rescue([&] {
        const auto deadline = std::chrono::steady_clock::now() + 8s;
        while (!done && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
        while (!done) {
            const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd >= 0) {
                rescued = true;
                ::close(fd);
                return;
            }
            std::this_thread::sleep_for(20ms);
        }
    });
    const auto r = run_clawbot("tokenize --model " + shell_quote(fifo) + " hello");
    done = true;
    rescue.join();
    EXPECT_FALSE(rescued) << "clawbot tokenize waited on the FIFO";
    expect_one_line_error(r, "is not a regular file");
    EXPECT_NE(r.err.find(fifo), std::string::npos) << r.err;
    std::filesystem::remove_all(dir);
}

TEST(Cli, MalformedModelIsOneLineError) {
    const std::string dir = test::make_temp_dir();
    std::ofstream(dir + "/bad.gguf") << "GGUF\x03garbage";
    expect_one_line_error(run_clawbot("generate --model " + dir + "/bad.gguf --prompt hi"), "bad.gguf");
    std::filesystem::remove_all(dir);
}

TEST(Cli, UnsupportedArchitectureIsRefusedByName) {
    const std::string dir = test::make_temp_dir();
    gguf::GgufWriter w;
    w.set_string("general.architecture", "gpt9000");
    ASSERT_TRUE(w.write(dir + "/arch.gguf").ok());
    expect_one_line_error(run_clawbot("generate --model " + dir + "/arch.gguf --prompt hi"), "gpt9000");
    std::filesystem::remove_all(dir);
}

TEST(Cli, UnsupportedTensorTypeIsRefusedByName) {
    // A real model's metadata with an embedding stored as IQ2_XXS, a type this
    // build cannot run.
    const std::string dir = test::make_temp_dir();
    auto src = gguf::GgufFile::open(model_path("synth-spm-q8_0"));
    ASSERT_TRUE(src.ok());
    gguf::GgufWriter w;
    for (const auto& [key, value] : (*src)->metadata()) w.copy_value(std::string(key), value);
    for (const auto& t : (*src)->tensors()) {
        std::vector<uint64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
        if (t.name == "token_embd.weight") {
            w.add_tensor(std::string(t.name), DType::IQ2_XXS, ne, std::vector<uint8_t>(row_bytes(DType::IQ2_XXS, static_cast<int64_t>(t.ne[0])) * t.ne[1]));
        } else {
            w.add_tensor(std::string(t.name), t.type, ne, std::vector<uint8_t>(t.data, t.data + t.n_bytes));
        }
    }
    ASSERT_TRUE(w.write(dir + "/iq2.gguf").ok());
    expect_one_line_error(run_clawbot("generate --model " + dir + "/iq2.gguf --prompt hi"), "iq2_xxs");
    std::filesystem::remove_all(dir);
}

TEST(Cli, GenerateLogitsMatchTheReferenceForEveryModel) {
    // generate --json --logits, from the prompt text: the same prompt tokens
    // as the reference and its last-position logits, for every file with a
    // reference (the library-level conformance test runs the same models).
    int checked = 0;
    for (const auto& entry : std::filesystem::directory_iterator(test::shared_path("reference/logits"))) {
        const auto ref = test::read_json(entry.path().string());
        if (!ref.contains("prompt_text")) continue;
        const std::string stem = entry.path().filename().string();
        const std::string model = stem.substr(0, stem.find('.'));
        const auto r = run_clawbot("generate --model " + shell_quote(model_path(model)) + " --prompt " +
                                   shell_quote(ref["prompt_text"].get<std::string>()) +
                                   " --json --logits -n 1 --temperature 0 --threads 2");
        ASSERT_EQ(r.exit_code, 0) << stem << ": " << r.err;
        const auto out = nlohmann::json::parse(r.out);
        EXPECT_EQ(out["prompt_tokens"], ref["prompt"]) << stem;
        const auto ours = out["last_logits"].get<std::vector<float>>();
        const auto want = ref["last_logits"].get<std::vector<float>>();
        ASSERT_EQ(ours.size(), want.size()) << stem;
        EXPECT_GE(test::cosine_similarity(ours, want), 0.995) << stem;
        ++checked;
    }
    EXPECT_GE(checked, 12);  // the references of the issue-12 files carry their prompt text
    const auto refused = run_clawbot("generate --model " + shell_quote(model_path("stories260K")) + " --prompt hi --logits");
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.err.find("--json"), std::string::npos) << refused.err;
}

TEST(Cli, ShowPrintsModelFactsAndServingMemory) {
    const std::string path = model_path("synth-qwen3moe-q4_k_m");
    const auto r = run_clawbot("show " + shell_quote(path) + " --ctx-size 512 --max-batch-size 2 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["architecture"], "qwen3moe");
    EXPECT_EQ(j["experts"], 8);
    EXPECT_EQ(j["experts_used"], 2);
    EXPECT_EQ(j["head_dim"], 64);
    auto file = gguf::GgufFile::open(path);
    ASSERT_TRUE(file.ok());
    uint64_t elements = 0, q4_k = 0;
    for (const auto& t : (*file)->tensors()) {
        elements += t.n_elements();
        q4_k += t.type == DType::Q4_K ? 1 : 0;
    }
    EXPECT_EQ(j["parameters"].get<uint64_t>(), elements);
    EXPECT_EQ(j["file_bytes"].get<uint64_t>(), std::filesystem::file_size(path));
    bool saw_q4_k = false;
    for (const auto& t : j["tensor_types"]) {
        if (t["type"] == "q4_K") {
            saw_q4_k = true;
            EXPECT_EQ(t["tensors"].get<uint64_t>(), q4_k);
        }
    }
    EXPECT_TRUE(saw_q4_k);
    // 2 sequences x 512 positions, F16 keys and values of 2 KV heads x 64 in 2 layers.
    const auto& serving = j["serving"];
    EXPECT_EQ(serving["kv_tokens"], 1024);
    EXPECT_EQ(serving["kv_cache_bytes"].get<int64_t>(), int64_t{1024} * 2 * 2 * (2 * 64) * 2);
    EXPECT_EQ(serving["total_bytes"].get<uint64_t>(),
              serving["weights_bytes"].get<uint64_t>() + serving["kv_cache_bytes"].get<uint64_t>());
    // Packed weights: at least the file's size (the packed layouts are as
    // big or bigger), and a tied embedding (qwen3's) adds its packed copy.
    const auto weights = [&](const std::string& m, const std::string& repack) {
        const auto r = test::run_clawbot_with_env("show " + shell_quote(model_path(m)) + " --json", {{"REPACK_WEIGHTS", repack}});
        return nlohmann::json::parse(r.out)["serving"]["weights_bytes"].get<uint64_t>();
    };
    EXPECT_GE(serving["weights_bytes"].get<uint64_t>(), std::filesystem::file_size(path));
    const uint64_t tied_packed = weights("synth-qwen3-q8_0", "1");
    const uint64_t tied_mapped = weights("synth-qwen3-q8_0", "0");
    EXPECT_EQ(tied_mapped, std::filesystem::file_size(model_path("synth-qwen3-q8_0")));
    if (kernels::packed_kernels(DType::Q8_0)) {
        EXPECT_GT(tied_packed, tied_mapped);
    }
    // A context beyond the trained 2048 is capped, as the engine does.
    const auto capped = nlohmann::json::parse(run_clawbot("show " + shell_quote(path) + " --ctx-size 100000 --max-batch-size 1 --json").out);
    EXPECT_EQ(capped["serving"]["context"], 2048);

    const auto text = run_clawbot("show " + shell_quote(model_path("synth-qwen3-q8_0")));
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("qwen3"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("the file's own template"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("serving memory"), std::string::npos) << text.out;

    const auto missing = run_clawbot("show /nonexistent/model.gguf");
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("/nonexistent/model.gguf"), std::string::npos) << missing.err;
}

TEST(Cli, BenchJsonReportsRates) {
    const auto r = run_clawbot("bench --model " + shell_quote(model_path("stories260K")) +
                               " --prompt-tokens 16 --gen-tokens 4 --repetitions 1 --threads 1 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto out = nlohmann::json::parse(r.out);
    EXPECT_GT(out["prefill_tok_s"].get<double>(), 0.0);
    EXPECT_GT(out["decode_tok_s"].get<double>(), 0.0);
    EXPECT_GE(out["load_s"].get<double>(), 0.0);
}

TEST(Cli, BenchReportsRepackingAndNoRepackTurnsItOff) {
    const std::string model = shell_quote(model_path("synth-spm-q8_0"));
    const std::string args = " --prompt-tokens 8 --gen-tokens 2 --repetitions 1 --json";
    const auto packed = run_clawbot("bench --model " + model + args);
    const auto mapped = run_clawbot("bench --model " + model + args + " --no-repack");
    ASSERT_EQ(packed.exit_code, 0) << packed.err;
    ASSERT_EQ(mapped.exit_code, 0) << mapped.err;
    const bool packable = kernels::packed_kernels(DType::Q8_0) != nullptr;
    EXPECT_EQ(nlohmann::json::parse(packed.out)["repacked_matrices"].get<int>() > 0, packable);
    EXPECT_EQ(nlohmann::json::parse(mapped.out)["repacked_matrices"].get<int>(), 0);
    EXPECT_EQ(nlohmann::json::parse(mapped.out)["repack_s"].get<double>(), 0.0);
}

TEST(Cli, BenchBatchReportsEachSizeAndBatchingChangesNoToken) {
    const auto r = run_clawbot("bench --model " + shell_quote(model_path("stories260K")) +
                               " --prompt-tokens 12 --gen-tokens 8 --repetitions 1 --threads 2 --batch 1,5,16 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto out = nlohmann::json::parse(r.out);
    ASSERT_EQ(out["batches"].size(), 3u) << r.out;
    const int sizes[] = {1, 5, 16};
    for (size_t i = 0; i < 3; ++i) {
        const auto& b = out["batches"][i];
        EXPECT_EQ(b["batch"].get<int>(), sizes[i]);
        EXPECT_GT(b["prefill_tok_s"].get<double>(), 0.0);
        EXPECT_GT(b["decode_tok_s"].get<double>(), 0.0);
        // The first sequence has the same prompt at every size: decoded
        // beside 4 or 15 others it must give the tokens it gives alone.
        EXPECT_TRUE(b["same_tokens_as_alone"].get<bool>()) << "batch " << sizes[i];
    }
    EXPECT_GT(out["barrier_us"].get<double>(), 0.0);
    for (const char* bad : {"0", "4,x", "1,,2", "2000", "-3"}) {
        const auto refused = run_clawbot("bench --model " + shell_quote(model_path("stories260K")) +
                                         " --gen-tokens 2 --repetitions 1 --batch '" + bad + "'");
        EXPECT_NE(refused.exit_code, 0) << bad;
        EXPECT_NE(refused.err.find("--batch"), std::string::npos) << bad << ": " << refused.err;
    }
}

TEST(Cli, MakeModelThenQuantizeKeepsTheLogits) {
    // A random F32 model, quantized to each type: the quantized model's
    // logits stay close to the F32 model's.
    const std::string dir = test::make_temp_dir();
    const auto made = run_clawbot("make-model --shape test-small --type f32 --out " + dir + "/f32.gguf");
    ASSERT_EQ(made.exit_code, 0) << made.err;
    auto f32 = Model::load(dir + "/f32.gguf");
    ASSERT_TRUE(f32.ok()) << f32.error().message;
    ThreadPool pool(2);
    const std::vector<TokenId> prompt = {1, 300, 301, 302, 900, 1000, 40, 7};
    const auto base = test::logits_at_every_position(**f32, pool, prompt);
    for (const auto& [type, min_cos] : std::vector<std::pair<std::string, double>>{
             {"f16", 0.9999}, {"q8_0", 0.999}, {"q6_k", 0.995}, {"q4_k", 0.98}, {"q4_0", 0.97},
             {"q5_k", 0.995}, {"q5_0", 0.995}, {"q5_1", 0.995}, {"q4_1", 0.98}, {"iq4_nl", 0.98}, {"iq4_xs", 0.98},
             {"q3_k", 0.95}, {"q2_k", 0.85}}) {
        const auto q = run_clawbot("quantize " + dir + "/f32.gguf " + dir + "/" + type + ".gguf --type " + type);
        ASSERT_EQ(q.exit_code, 0) << q.err;
        auto model = Model::load(dir + "/" + type + ".gguf");
        ASSERT_TRUE(model.ok()) << model.error().message;
        EXPECT_EQ((*model)->weights().layers[0].wq.type, *dtype_from_name(type)) << type;
        const auto logits = test::logits_at_every_position(**model, pool, prompt);
        EXPECT_GE(test::cosine_similarity(base.back(), logits.back()), min_cos) << type;
    }
    // The q4_k_m mixture: Q4_K, with Q6_K for the output and for attn_v and
    // ffn_down of the layers llama.cpp gives more bits (first and last
    // eighth, every third between).
    const auto mixed = run_clawbot("quantize " + dir + "/f32.gguf " + dir + "/q4_k_m.gguf --type q4_k_m");
    ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
    auto model = Model::load(dir + "/q4_k_m.gguf");
    ASSERT_TRUE(model.ok()) << model.error().message;
    EXPECT_EQ((*model)->file().get_int("general.file_type"), 15);
    const ModelWeights& w = (*model)->weights();
    const int n = static_cast<int>(w.layers.size());
    ASSERT_GE(n, 2);
    EXPECT_EQ(w.output.type, DType::Q6_K);
    for (int l = 0; l < n; ++l) {
        const bool more = l < n / 8 || l >= 7 * n / 8 || (l - n / 8) % 3 == 2;
        const DType want = more ? DType::Q6_K : DType::Q4_K;
        EXPECT_EQ(w.layers[static_cast<size_t>(l)].wv.type, want) << "layer " << l;
        EXPECT_EQ(w.layers[static_cast<size_t>(l)].w_down.type, want) << "layer " << l;
        EXPECT_EQ(w.layers[static_cast<size_t>(l)].wq.type, DType::Q4_K) << "layer " << l;
        EXPECT_EQ(w.layers[static_cast<size_t>(l)].w_up.type, DType::Q4_K) << "layer " << l;
    }
    const auto logits = test::logits_at_every_position(**model, pool, prompt);
    EXPECT_GE(test::cosine_similarity(base.back(), logits.back()), 0.98);
    std::filesystem::remove_all(dir);
}

TEST(Cli, QuantizeMixturesQ5_K_MAndQ3_K_MPlaceTypesAsLlamaCpp) {
    const std::string dir = test::make_temp_dir();
    ASSERT_EQ(run_clawbot("make-model --shape test-small --type f32 --out " + dir + "/f32.gguf").exit_code, 0);
    for (const std::string mixture : {"q5_k_m", "q3_k_m"}) {
        const auto q = run_clawbot("quantize " + dir + "/f32.gguf " + dir + "/" + mixture + ".gguf --type " + mixture);
        ASSERT_EQ(q.exit_code, 0) << q.err;
        auto model = Model::load(dir + "/" + mixture + ".gguf");
        ASSERT_TRUE(model.ok()) << model.error().message;
        const ModelWeights& w = (*model)->weights();
        const int n = static_cast<int>(w.layers.size());
        EXPECT_EQ(w.output.type, DType::Q6_K) << mixture;
        for (int l = 0; l < n; ++l) {
            const LayerWeights& L = w.layers[static_cast<size_t>(l)];
            if (mixture == "q5_k_m") {
                EXPECT_EQ((*model)->file().get_int("general.file_type"), 17);
                const bool more = l < n / 8 || l >= 7 * n / 8 || (l - n / 8) % 3 == 2;
                EXPECT_EQ(L.wv.type, more ? DType::Q6_K : DType::Q5_K) << l;
                EXPECT_EQ(L.w_down.type, more ? DType::Q6_K : DType::Q5_K) << l;
                EXPECT_EQ(L.wo.type, DType::Q5_K) << l;
                EXPECT_EQ(L.w_gate.type, DType::Q5_K) << l;
            } else {
                EXPECT_EQ((*model)->file().get_int("general.file_type"), 12);
                EXPECT_EQ(L.wv.type, l < 2 ? DType::Q5_K : DType::Q4_K) << l;
                EXPECT_EQ(L.w_down.type, l < n / 16 ? DType::Q5_K : DType::Q4_K) << l;
                EXPECT_EQ(L.wo.type, DType::Q4_K) << l;
                EXPECT_EQ(L.wq.type, DType::Q3_K) << l;
                EXPECT_EQ(L.w_up.type, DType::Q3_K) << l;
            }
        }
    }
    std::filesystem::remove_all(dir);
}

TEST(Cli, QuantizeKeepsAnExistingOutputWithoutForce) {
    const std::string dir = test::make_temp_dir();
    ASSERT_EQ(run_clawbot("make-model --shape test-tiny --type f32 --out " + dir + "/f32.gguf").exit_code, 0);
    {
        std::ofstream keep(dir + "/out.gguf");
        keep << "precious";
    }
    const auto refused = run_clawbot("quantize " + dir + "/f32.gguf " + dir + "/out.gguf --type q8_0");
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
    EXPECT_EQ(test::read_file(dir + "/out.gguf"), "precious");
    const auto forced = run_clawbot("quantize " + dir + "/f32.gguf " + dir + "/out.gguf --type q8_0 --force");
    ASSERT_EQ(forced.exit_code, 0) << forced.err;
    auto model = Model::load(dir + "/out.gguf");
    ASSERT_TRUE(model.ok()) << model.error().message;
    // Not a terminal: no progress bar, only the one summary line.
    EXPECT_EQ(forced.err.find('\r'), std::string::npos);
    EXPECT_NE(forced.err.find("wrote"), std::string::npos);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace clawbot
