// `clawbot chat`: an interactive conversation in the terminal, with a local
// model (through the same provider the service uses: its chat template,
// the engine, streaming) or with a running server (--url: any
// OpenAI-compatible API, clawbot's own included). Ctrl-C stops the answer
// being written, not the program; Ctrl-D or /exit ends it.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>

#include "cli/commands.h"
#include "service/api/work_queue.h"
#include "service/config/settings_loader.h"
#include "service/provider/local_provider.h"
#include "service/provider/openai_provider.h"
#include "service/provider/upstream_endpoint.h"

namespace clawbot::cli {
namespace {

using service::ChatTurn;
using service::CompletionDelta;
using service::CompletionUsage;
using service::FinishKind;
using service::StartError;

std::atomic<bool> g_interrupted{false};
std::atomic<bool> g_answering{false};

extern "C" void on_interrupt(int) {
    g_interrupted.store(true);
    if (!g_answering.load()) {
        // At the prompt: say how to leave (write() is safe in a handler).
        static const char kHint[] = "\n(Ctrl-D or /exit quits)\n> ";
        [[maybe_unused]] const ssize_t n = ::write(STDOUT_FILENO, kHint, sizeof kHint - 1);
    }
}

// Prints an answer as it streams and says when it is over.
class TerminalAnswer final : public service::CompletionHandler {
public:
    explicit TerminalAnswer(bool dim_reasoning) : dim_reasoning_(dim_reasoning) {}

    void on_delta(const CompletionDelta& d) override {
        std::lock_guard lock(mutex_);
        if (!d.reasoning.empty()) {
            std::cout << (dim_reasoning_ ? "\x1b[2m" : "") << d.reasoning << (dim_reasoning_ ? "\x1b[0m" : "");
        }
        if (!d.content.empty()) {
            text_ += d.content;
            std::cout << d.content;
        }
        std::cout << std::flush;
    }
    void on_done(FinishKind finish, const CompletionUsage& usage) override {
        std::lock_guard lock(mutex_);
        finish_ = finish;
        usage_ = usage;
        done_ = true;
        cv_.notify_all();
    }
    void on_error(const StartError& error) override {
        std::lock_guard lock(mutex_);
        error_ = error.message;
        done_ = true;
        cv_.notify_all();
    }

    // Waits for the end; a Ctrl-C meanwhile cancels through `cancel`.
    template <class Cancel>
    void wait(const Cancel& cancel) {
        std::unique_lock lock(mutex_);
        bool cancelled = false;
        while (!cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return done_; })) {
            if (!cancelled && g_interrupted.exchange(false)) {
                cancelled = true;
                lock.unlock();
                cancel();
                lock.lock();
            }
        }
    }
    const std::string& text() const { return text_; }
    FinishKind finish() const { return finish_; }
    const CompletionUsage& usage() const { return usage_; }
    const std::string& error() const { return error_; }

private:
    const bool dim_reasoning_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::string text_;
    FinishKind finish_ = FinishKind::Stop;
    CompletionUsage usage_;
    std::string error_;
    bool done_ = false;
};

void print_help() {
    std::cout << "Type a message and press Enter. Commands:\n"
                 "  /system TEXT   set the system prompt (and start over)\n"
                 "  /reset         forget the conversation (keeps the system prompt)\n"
                 "  /exit          quit (or Ctrl-D); Ctrl-C stops an answer\n";
}

Result<std::unique_ptr<service::Provider>> open_provider(const ChatOptions& o, service::WorkQueue& delivery) {
    if (!o.url.empty()) {
        std::string base = o.url;
        while (base.ends_with('/')) base.pop_back();
        auto endpoint = service::parse_upstream_url(base);
        if (!endpoint) return endpoint.error();
        // A server's root means its OpenAI-compatible API under /v1.
        if (endpoint->base_path.empty()) endpoint = service::parse_upstream_url(base + "/v1");
        auto config = std::make_shared<service::UpstreamConfig>();
        config->endpoint = std::move(*endpoint);
        config->model = o.model;  // "" sends none: the server's own model
        config->api_key = o.token;
        config->read_timeout = std::chrono::seconds(300);
        return std::unique_ptr<service::Provider>(std::make_unique<service::OpenAiProvider>(config));
    }
    if (o.model.empty()) return make_error("give a model (--model FILE or a name from `clawbot models list`) or --url");
    service::Settings settings;
    if (auto loaded = service::load_settings({{"MODEL_PATH", o.model}}, service::process_environment(), o.config)) {
        settings = *loaded;
    } else {
        return loaded.error();
    }
    EngineOptions engine;
    engine.threads = resolve_threads(o.threads);
    engine.context_size = o.ctx_size;
    engine.max_batch_size = 1;
    auto post = [&delivery](std::function<void()> job) { delivery.post(std::move(job)); };
    auto provider = service::LocalProvider::create(settings.model_path, LoadOptions{}, engine, post);
    if (!provider) return provider.error();
    return std::unique_ptr<service::Provider>(std::move(*provider));
}

}  // namespace

int run_chat(const ChatOptions& o) {
    service::WorkQueue delivery(1);
    auto provider = open_provider(o, delivery);
    if (!provider) return fail(provider.error().message);
    const bool terminal = ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);

    struct sigaction action {};
    action.sa_handler = on_interrupt;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);

    std::string system = o.system;
    std::vector<ChatTurn> history;
    const auto start_over = [&] {
        history.clear();
        if (!system.empty()) history.emplace_back("system", system);
    };
    start_over();
    std::cout << "Chatting with " << (*provider)->model_name() << (o.url.empty() ? "" : " at " + o.url)
              << ". /help lists the commands.\n";
    std::string line;
    for (;;) {
        std::cout << "> " << std::flush;
        g_interrupted.store(false);
        if (!std::getline(std::cin, line)) break;  // Ctrl-D
        if (line.empty()) continue;
        if (line == "/exit" || line == "/quit") break;
        if (line == "/help") {
            print_help();
            continue;
        }
        if (line == "/reset") {
            start_over();
            std::cout << "(the conversation starts over)\n";
            continue;
        }
        if (line == "/system" || line.starts_with("/system ")) {
            system = line.size() > 8 ? line.substr(8) : "";
            start_over();
            std::cout << (system.empty() ? "(no system prompt; the conversation starts over)\n"
                                         : "(system prompt set; the conversation starts over)\n");
            continue;
        }
        if (line.starts_with("/")) {
            std::cout << "unknown command " << line.substr(0, line.find(' ')) << "; /help lists them\n";
            continue;
        }
        history.emplace_back("user", line);
        service::CompletionRequest request;
        request.messages = history;
        request.max_tokens = o.max_tokens;
        request.temperature = o.temperature;
        if (o.seed) request.seed = *o.seed;
        auto answer = std::make_shared<TerminalAnswer>(terminal);
        g_answering.store(true);
        auto started = (*provider)->start(request, answer);
        if (!started) {
            g_answering.store(false);
            history.pop_back();
            std::cerr << "clawbot: " << started.error().message << "\n";
            continue;
        }
        answer->wait([&] { (*started)->cancel(); });
        g_answering.store(false);
        std::cout << "\n";
        if (!answer->error().empty()) {
            history.pop_back();
            std::cerr << "clawbot: " << answer->error() << "\n";
            continue;
        }
        // A stopped answer stays in the history as far as it got.
        history.emplace_back("assistant", answer->text());
        if (answer->finish() == FinishKind::Cancelled) std::cout << "(stopped)\n";
        if (answer->finish() == FinishKind::Length) std::cout << "(cut off at --max-tokens)\n";
    }
    if (terminal) std::cout << "\n";
    return 0;
}

}  // namespace clawbot::cli
