#pragma once
// Aggregates of a load run: counts, completion tokens, TTFT per turn index,
// inter-token gaps and errors by kind; and the final report, as text or JSON.
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/loadtest_stream.h"

namespace clawbot::cli {

class LoadStats {
public:
    // Gaps kept for the percentile: a uniform sample past this many, so a
    // long run's memory stays bounded.
    static constexpr std::size_t kMaxGapSamples = 1 << 20;

    explicit LoadStats(int turns, uint64_t seed) : ttft_by_turn_(turns), sampler_(seed) {}

    void add(const RequestOutcome& r);

    long requests() const { return requests_; }
    long errors() const { return errors_; }
    long completion_tokens() const { return completion_tokens_; }

    // The summary the command prints (--json) or formats as text.
    nlohmann::json report(double wall_s) const;

private:
    long requests_ = 0;
    long errors_ = 0;
    long completion_tokens_ = 0;
    std::map<std::string, long> errors_by_kind_;
    std::map<std::string, long> errors_by_code_;  // "STATUS CODE", e.g. "400 context_length_exceeded"
    std::vector<std::vector<double>> ttft_by_turn_;
    std::vector<double> gaps_;
    uint64_t gaps_seen_ = 0;
    std::mt19937_64 sampler_;
};

// The report as lines for a person to read.
std::string format_report(const nlohmann::json& report);

}  // namespace clawbot::cli
