// Dispatch latency of ThreadPool::run: back-to-back empty jobs (workers
// still spinning) and jobs after an idle gap (workers asleep on the futex).
//
// Build (from the project root, after building clawbot_kernels):
//   g++ -std=c++20 -O2 -Isrc bench/thread_pool_bench.cpp build/libclawbot_kernels.a -pthread
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "engine/tensor/thread_pool.h"

namespace {

double microseconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main() {
    std::printf("physical cores: %d\n", clawbot::physical_core_count());
    for (int n : {1, 2, 4}) {
        clawbot::ThreadPool pool(n);
        std::atomic<int> sink{0};
        constexpr int kRuns = 100000;
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < kRuns; ++i) pool.run([&](int t, int) { sink.fetch_add(t, std::memory_order_relaxed); });
        std::printf("threads=%d: %.2f us per back-to-back empty job\n", n, microseconds_since(start) / kRuns);
    }
    clawbot::ThreadPool pool(2);
    constexpr int kGaps = 200;
    double total = 0;
    for (int i = 0; i < kGaps; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // workers fall asleep
        const auto start = std::chrono::steady_clock::now();
        pool.run([](int, int) {});
        total += microseconds_since(start);
    }
    std::printf("threads=2: %.2f us per empty job after 1 ms idle (futex wake-up)\n", total / kGaps);
    return 0;
}
