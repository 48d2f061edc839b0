#include "cli/loadtest_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace clawbot::cli {
namespace {

// Nearest-rank percentile, so every figure is a latency that was observed.
double percentile(std::vector<double> sorted_or_not, double p) {
    std::sort(sorted_or_not.begin(), sorted_or_not.end());
    const auto n = static_cast<double>(sorted_or_not.size());
    const auto rank = static_cast<size_t>(std::max(1.0, std::ceil(p / 100.0 * n)));
    return sorted_or_not[std::min(rank, sorted_or_not.size()) - 1];
}

nlohmann::json percentile_or_null(const std::vector<double>& v, double p) {
    return v.empty() ? nlohmann::json(nullptr) : nlohmann::json(percentile(v, p));
}

std::string seconds_text(const nlohmann::json& v) {
    if (v.is_null()) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f s", v.get<double>());
    return buf;
}

}  // namespace

void LoadStats::add(const RequestOutcome& r) {
    ++requests_;
    if (!r.error.empty()) {
        ++errors_;
        ++errors_by_kind_[r.error];
        if (!r.error_code.empty()) ++errors_by_code_[r.error + " " + r.error_code];
        return;
    }
    completion_tokens_ += r.completion_tokens;
    if (r.ttft_s && r.turn >= 1 && r.turn <= static_cast<int>(ttft_by_turn_.size())) {
        ttft_by_turn_[static_cast<size_t>(r.turn - 1)].push_back(*r.ttft_s);
    }
    for (double g : r.gaps_s) {  // reservoir sampling past the cap
        ++gaps_seen_;
        if (gaps_.size() < kMaxGapSamples) {
            gaps_.push_back(g);
        } else if (const uint64_t slot = sampler_() % gaps_seen_; slot < kMaxGapSamples) {
            gaps_[slot] = g;
        }
    }
}

nlohmann::json LoadStats::report(double wall_s) const {
    nlohmann::json ttft = nlohmann::json::object();
    for (size_t i = 0; i < ttft_by_turn_.size(); ++i) {
        const auto& v = ttft_by_turn_[i];
        ttft["turn_" + std::to_string(i + 1)] = {{"count", v.size()},
                                                 {"p50", percentile_or_null(v, 50)},
                                                 {"p95", percentile_or_null(v, 95)},
                                                 {"p99", percentile_or_null(v, 99)}};
    }
    nlohmann::json errors = nlohmann::json::object();
    for (const auto& [kind, count] : errors_by_kind_) errors[kind] = count;
    nlohmann::json codes = nlohmann::json::object();
    for (const auto& [code, count] : errors_by_code_) codes[code] = count;
    return {{"wall_s", wall_s},
            {"requests", requests_},
            {"completion_tokens", completion_tokens_},
            {"tokens_per_s", wall_s > 0 ? static_cast<double>(completion_tokens_) / wall_s : 0.0},
            {"ttft_s", ttft},
            {"inter_token_p95_s", percentile_or_null(gaps_, 95)},
            {"inter_token_p99_s", percentile_or_null(gaps_, 99)},
            {"errors", errors},
            {"error_codes", codes}};
}

std::string format_report(const nlohmann::json& r) {
    char line[256];
    std::string out;
    std::snprintf(line, sizeof line, "wall time          %.2f s\nrequests           %ld\ncompletion tokens  %ld\n",
                  r["wall_s"].get<double>(), r["requests"].get<long>(), r["completion_tokens"].get<long>());
    out += line;
    std::snprintf(line, sizeof line, "throughput         %.1f completion tokens/s\n", r["tokens_per_s"].get<double>());
    out += line;
    out += "TTFT by turn       p50 / p95 / p99\n";
    for (size_t i = 1; i <= r["ttft_s"].size(); ++i) {
        const auto& t = r["ttft_s"]["turn_" + std::to_string(i)];
        std::snprintf(line, sizeof line, "  turn %-3zu (n=%ld)   %s / %s / %s\n", i, t["count"].get<long>(),
                      seconds_text(t["p50"]).c_str(), seconds_text(t["p95"]).c_str(), seconds_text(t["p99"]).c_str());
        out += line;
    }
    out += "inter-token p95    " + seconds_text(r["inter_token_p95_s"]) + "\n";
    out += "inter-token p99    " + seconds_text(r["inter_token_p99_s"]) + "\n";
    if (r["errors"].empty()) return out + "errors             none\n";
    out += "errors\n";
    for (const auto& [kind, count] : r["errors"].items()) {
        std::snprintf(line, sizeof line, "  %-16s %ld\n", kind.c_str(), count.get<long>());
        out += line;
    }
    for (const auto& [code, count] : r["error_codes"].items()) {
        std::snprintf(line, sizeof line, "  (%s: %ld)\n", code.c_str(), count.get<long>());
        out += line;
    }
    return out;
}

}  // namespace clawbot::cli
