// `clawbot pull`, `models list|show|rm`: the models in MODELS_DIR (default
// DATA_DIR/models), fetched by URL or Hugging Face name, listed with what
// they are, and removed. `serve --model NAME` loads one by its name.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>

#include "cli/commands.h"
#include "cli/doctor_checks.h"
#include "cli/model_download.h"
#include "engine/gguf/gguf_file.h"
#include "engine/tensor/dtype.h"
#include "service/config/settings_loader.h"

namespace clawbot::cli {
namespace {

namespace fs = std::filesystem;

Result<service::Settings> settings_of(const ServiceOptions& o) {
    return service::load_settings(o.flags, service::process_environment(), o.config);
}

std::optional<std::string> env(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v) return std::nullopt;
    return std::string(v);
}

// The file name a URL's path ends in, as the model's name on disk.
std::string file_name_of(const std::string& url) {
    std::string path = url.substr(0, url.find_first_of("?#"));
    return path.substr(path.rfind('/') + 1);
}

bool valid_model_name(const std::string& name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos && name[0] != '.';
}

struct ModelSummary {
    std::string architecture = "?";
    std::string quantization = "?";  // the type holding most of the bytes
    std::string error;
};

ModelSummary summarize(const std::string& path) {
    ModelSummary s;
    auto file = gguf::GgufFile::open(path);
    if (!file) {
        s.error = file.error().message;
        return s;
    }
    if (auto arch = (*file)->get_string("general.architecture")) s.architecture = std::string(*arch);
    std::map<std::string, uint64_t> bytes_by_type;
    for (const gguf::TensorInfo& t : (*file)->tensors()) bytes_by_type[std::string(dtype_name(t.type))] += t.n_bytes;
    uint64_t most = 0;
    for (const auto& [type, bytes] : bytes_by_type) {
        if (bytes > most) {
            most = bytes;
            s.quantization = type;
        }
    }
    // As model hubs name them: Q4_K, F16.
    std::transform(s.quantization.begin(), s.quantization.end(), s.quantization.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

// A name in the models directory, or an error that says what is there.
Result<std::string> model_file(const service::Settings& settings, const std::string& name) {
    const fs::path dir = service::models_dir_of(settings);
    for (const std::string& candidate : {name, name + ".gguf"}) {
        std::error_code ec;
        if (valid_model_name(candidate) && fs::is_regular_file(dir / candidate, ec)) return (dir / candidate).string();
    }
    return make_error("no model named '" + name + "' in " + dir.string() + " (clawbot models list shows them)");
}

}  // namespace

int run_pull(const PullOptions& p, const ServiceOptions& o) {
    auto settings = settings_of(o);
    if (!settings) return fail(settings.error().message);
    const std::string url = resolve_model_url(p.reference, env("HF_ENDPOINT").value_or(""));
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
        return fail("'" + p.reference + "' is neither an http(s) URL nor hf:OWNER/REPO/FILE.gguf");
    }
    std::string name = p.name.empty() ? file_name_of(url) : p.name;
    if (!name.ends_with(".gguf")) name += ".gguf";
    if (!valid_model_name(name)) return fail("'" + name + "' is not a usable model file name (give one with --name)");
    std::string sha256 = p.sha256;
    std::transform(sha256.begin(), sha256.end(), sha256.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!sha256.empty() && (sha256.size() != 64 || sha256.find_first_not_of("0123456789abcdef") != std::string::npos)) {
        return fail("--sha256 must be 64 hexadecimal digits");
    }
    const fs::path dir = service::models_dir_of(*settings);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return fail("cannot create the models directory " + dir.string() + ": " + ec.message());
    const fs::path destination = dir / name;
    if (fs::exists(destination, ec) && !p.force) {
        return fail(destination.string() + " already exists (--force downloads it again)");
    }
    DownloadRequest request;
    request.url = url;
    request.destination = destination.string();
    if (!sha256.empty()) request.sha256 = sha256;
    if (p.reference.starts_with("hf:")) request.bearer = env("HF_TOKEN");
    request.progress = ::isatty(STDERR_FILENO) != 0;
    std::cout << "Downloading " << url << "\n  to " << destination.string() << "\n" << std::flush;
    auto done = download_model(request);
    if (!done) return fail(done.error().message);
    const std::string model_name = name.substr(0, name.size() - 5);
    std::cout << "Pulled " << model_name << ": " << doctor::human_bytes(done->bytes) << ", sha256 " << done->sha256 << "\n"
              << "Serve it: clawbot serve --model " << model_name << (o.config ? " --config " + *o.config : std::string()) << "\n";
    return 0;
}

int run_models_list(const ServiceOptions& o) {
    auto settings = settings_of(o);
    if (!settings) return fail(settings.error().message);
    const fs::path dir = service::models_dir_of(*settings);
    std::error_code ec;
    std::vector<fs::path> files;
    if (fs::is_directory(dir, ec)) {
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            if (entry.is_regular_file() && entry.path().extension() == ".gguf") files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
        std::cout << "No models in " << dir.string() << ". Get one: clawbot pull hf:OWNER/REPO/FILE.gguf (or a URL)\n";
        return 0;
    }
    std::error_code same_ec;
    std::cout << std::left << std::setw(40) << "NAME" << std::setw(12) << "SIZE" << std::setw(14) << "ARCH"
              << std::setw(10) << "QUANT" << "IN USE\n";
    for (const fs::path& file : files) {
        const ModelSummary s = summarize(file.string());
        const bool in_use = !settings->model_path.empty() && fs::equivalent(file, settings->model_path, same_ec);
        std::cout << std::left << std::setw(40) << file.stem().string() << std::setw(12)
                  << doctor::human_bytes(fs::file_size(file, ec)) << std::setw(14) << s.architecture << std::setw(10)
                  << s.quantization << (in_use ? "yes (MODEL_PATH)" : "") << (s.error.empty() ? "" : "  unreadable: " + s.error)
                  << "\n";
    }
    return 0;
}

int run_models_show(const std::string& name, const ServiceOptions& o) {
    auto settings = settings_of(o);
    if (!settings) return fail(settings.error().message);
    auto file = model_file(*settings, name);
    if (!file) return fail(file.error().message);
    ShowOptions show;
    show.model = *file;
    show.config = o.config;
    return run_show(show);
}

int run_models_rm(const std::string& name, const ServiceOptions& o) {
    auto settings = settings_of(o);
    if (!settings) return fail(settings.error().message);
    auto file = model_file(*settings, name);
    if (!file) return fail(file.error().message);
    std::error_code ec;
    if (!settings->model_path.empty() && fs::equivalent(*file, settings->model_path, ec)) {
        std::cerr << "clawbot: warning: " << name << " is MODEL_PATH; the service will not start with it until you pull "
                  << "it again or set another model\n";
    }
    if (!fs::remove(*file, ec) || ec) return fail("cannot remove " + *file + (ec ? ": " + ec.message() : std::string()));
    fs::remove(*file + ".partial", ec);
    std::cout << "Removed " << *file << "\n";
    return 0;
}

}  // namespace clawbot::cli
