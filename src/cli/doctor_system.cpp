// Doctor checks of the machine: the CPU's instruction sets, as the engine's
// kernel dispatch sees them, and the locale's character set.
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <string>

#include <langinfo.h>

#include "cli/doctor_checks.h"
#include "engine/tensor/cpu_features.h"
#include "engine/tensor/kernels.h"

namespace clawbot::cli::doctor {
namespace {

// The individual features, for the report; which kernels run is decided by
// the engine's own CPUID check (kernels::detected_isa), not by this list.
std::string feature_list() {
    __builtin_cpu_init();
    struct Feature {
        const char* name;
        bool present;
    };
    const Feature features[] = {
        {"AVX2", __builtin_cpu_supports("avx2") != 0},
        {"FMA", __builtin_cpu_supports("fma") != 0},
        {"F16C", __builtin_cpu_supports("f16c") != 0},
        {"BMI2", __builtin_cpu_supports("bmi2") != 0},
        {"AVX-512F", __builtin_cpu_supports("avx512f") != 0},
        {"AVX-512BW", __builtin_cpu_supports("avx512bw") != 0},
        {"AVX-512VL", __builtin_cpu_supports("avx512vl") != 0},
        {"AVX-512DQ", __builtin_cpu_supports("avx512dq") != 0},
        {"AVX-512VNNI", __builtin_cpu_supports("avx512vnni") != 0},
    };
    std::string present, missing;
    for (const Feature& f : features) {
        std::string& list = f.present ? present : missing;
        list += (list.empty() ? "" : " ") + std::string(f.name);
    }
    std::string text = present.empty() ? "none of AVX2/AVX-512" : present;
    if (!missing.empty()) text += " (no " + missing + ")";
    return text;
}

// Which variable decides LC_CTYPE, as setlocale(LC_CTYPE, "") reads them.
std::string ctype_source() {
    for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
        const char* value = std::getenv(name);
        if (value != nullptr && *value != '\0') return std::string(name) + "=" + value;
    }
    return "LANG, LC_ALL and LC_CTYPE unset (the POSIX locale)";
}

}  // namespace

CheckLine check_cpu(const service::Settings* s) {
    const bool cloud = s != nullptr && s->provider != "local";
    const kernels::CpuFeatures& cpu = kernels::cpu_features();
    const std::string features = feature_list();
    const std::string kernels_used = std::string("the engine uses its ") + kernels::isa_name(kernels::detected_isa()) + " kernels";
    if (cloud) return CheckLine::ok("CPU", features + "; not used for answers in cloud mode");
    // A CLAWBOT_ISA left over from a comparison run would slow every answer.
    const kernels::IsaCap cap = kernels::isa_cap_setting();
    const std::string cap_fix = "unset CLAWBOT_ISA (check the systemd unit's Environment= and docker-compose.yml)";
    if (cap.set && !cap.valid) {
        return CheckLine::warn("CPU", features + "; CLAWBOT_ISA=" + std::getenv("CLAWBOT_ISA") +
                                          " is not scalar, avx2 or avx512, so it is ignored and " + kernels_used,
                               cap_fix);
    }
    if (kernels::detected_isa() < kernels::cpu_isa()) {
        return CheckLine::warn("CPU", features + "; CLAWBOT_ISA=" + kernels::isa_name(cap.cap) + " holds the engine to its " +
                                          kernels::isa_name(kernels::detected_isa()) + " kernels, slower than the " +
                                          kernels::isa_name(kernels::cpu_isa()) +
                                          " ones this CPU runs (meant for comparisons with llama.cpp)",
                               cap_fix);
    }
    if (!cpu.avx2) {
        return CheckLine::warn("CPU", features + ": without AVX2+FMA+F16C+BMI2 " + kernels_used + ", several times slower",
                               "run on a CPU with AVX2 (Intel Haswell, AMD Zen or newer; in a VM, pass the host CPU "
                               "through), or use cloud mode (PROVIDER=openai)");
    }
    return CheckLine::ok("CPU", features + "; " + kernels_used);
}

CheckLine check_locale() {
    const std::string source = ctype_source();
    const std::string fix =
        "export LANG=C.UTF-8 (always installed) or another UTF-8 locale; for the service set Environment=LANG=C.UTF-8 "
        "in the systemd unit (LANG in docker-compose.yml)";
    const char* previous = std::setlocale(LC_CTYPE, nullptr);
    const std::string restore = previous ? previous : "C";
    if (std::setlocale(LC_CTYPE, "") == nullptr) {
        return CheckLine::fail("locale", source + " names a locale this machine does not have, so the C locale is used and "
                                             "non-ASCII text shows garbled",
                               fix + ", or generate it (locale-gen, dpkg-reconfigure locales)");
    }
    const std::string codeset = nl_langinfo(CODESET);
    std::setlocale(LC_CTYPE, restore.c_str());
    if (codeset != "UTF-8") {
        return CheckLine::fail("locale", source + " gives the " + codeset +
                                             " character set, not UTF-8: non-ASCII text (Chinese, emoji, accents) shows garbled",
                               fix);
    }
    return CheckLine::ok("locale", source + " (UTF-8)");
}

}  // namespace clawbot::cli::doctor
