#include "engine/tensor/thread_pool.h"

#include <immintrin.h>
#include <sched.h>

#include <fstream>
#include <set>
#include <string>

namespace clawbot {
namespace {

// Waits until `value` differs from `old`: first spinning with PAUSE (kind to
// a sibling hyper-thread), which catches the common case of a job that ends
// within microseconds; then, for the rest of `spin`, yielding the CPU, so a
// thread we wait for that shares this core gets to run; then sleeping on the
// value (a futex).
uint32_t wait_while_equal(const std::atomic<uint32_t>& value, uint32_t old, std::chrono::microseconds spin) {
    constexpr auto kPauseOnly = std::chrono::microseconds(4);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 1;; ++i) {
        const uint32_t now = value.load(std::memory_order_acquire);
        if (now != old) return now;
        if (i % 64 != 0) {
            _mm_pause();
            continue;
        }
        const auto waited = std::chrono::steady_clock::now() - start;
        if (waited >= spin) break;
        if (waited >= kPauseOnly) std::this_thread::yield();
    }
    for (;;) {
        value.wait(old, std::memory_order_acquire);
        const uint32_t now = value.load(std::memory_order_acquire);
        if (now != old) return now;
    }
}

}  // namespace

ThreadPool::ThreadPool(int n_threads, std::chrono::microseconds spin)
    : n_threads_(n_threads < 1 ? 1 : n_threads), spin_(spin) {
    workers_.reserve(static_cast<size_t>(n_threads_ - 1));
    for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_main(i); });
}

ThreadPool::~ThreadPool() {
    stopping_.store(true, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (std::thread& t : workers_) t.join();
}

void ThreadPool::run_job(int index) {
    try {
        (*job_)(index, n_threads_);
    } catch (...) {
        const std::lock_guard lock(error_mutex_);
        if (!error_) error_ = std::current_exception();
    }
}

void ThreadPool::worker_main(int index) {
    // Generation 0 is the state at construction; reading it here instead
    // could miss a job started before this thread got going.
    uint32_t seen = 0;
    for (;;) {
        seen = wait_while_equal(generation_, seen, spin_);
        if (stopping_.load(std::memory_order_relaxed)) return;
        run_job(index);
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
    }
}

void ThreadPool::run(const std::function<void(int, int)>& job) {
    job_ = &job;
    error_ = nullptr;
    if (n_threads_ > 1) {
        pending_.store(static_cast<uint32_t>(n_threads_ - 1), std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
        generation_.notify_all();
    }
    run_job(0);
    for (uint32_t left = pending_.load(std::memory_order_acquire); left != 0;) {
        left = wait_while_equal(pending_, left, spin_);
    }
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
}

int physical_core_count() {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    std::set<std::string> cores;  // one sibling list per physical core
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
            if (!CPU_ISSET(cpu, &allowed)) continue;
            std::ifstream in("/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/thread_siblings_list");
            std::string siblings;
            if (!(in >> siblings)) {
                cores.clear();  // topology unreadable: trust nothing from it
                break;
            }
            cores.insert(siblings);
        }
    }
    if (!cores.empty()) return static_cast<int>(cores.size());
    const unsigned hw = std::thread::hardware_concurrency();
    return hw > 0 ? static_cast<int>(hw) : 1;
}

}  // namespace clawbot
