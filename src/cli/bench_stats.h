#pragma once
// Small helpers the benchmark commands share.
#include <algorithm>
#include <chrono>
#include <span>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace clawbot::cli {

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Greedy choice: the index of the largest logit.
inline TokenId argmax(std::span<const float> logits) {
    return static_cast<TokenId>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

}  // namespace clawbot::cli
