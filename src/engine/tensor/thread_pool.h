#pragma once
// A fixed set of threads that run one job at a time on all of them. A decode
// step issues hundreds of small jobs, so dispatch must be cheap: nothing is
// allocated or created per job, and idle workers spin for a short while
// before sleeping, so back-to-back jobs are picked up without a syscall.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace clawbot {

class ThreadPool {
public:
    // n_threads counts the calling thread; values below 1 mean 1. Workers
    // spin for `spin` after each job before they block.
    explicit ThreadPool(int n_threads, std::chrono::microseconds spin = std::chrono::microseconds(50));
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return n_threads_; }

    // Calls job(i, size()) once for every i in [0, size()), i = 0 on the
    // calling thread, and returns when all calls have returned. If calls
    // throw, the first exception is rethrown here. One caller at a time.
    void run(const std::function<void(int thread_index, int n_threads)>& job);

private:
    void worker_main(int index);
    void run_job(int index);

    const int n_threads_;
    const std::chrono::microseconds spin_;
    const std::function<void(int, int)>* job_ = nullptr;
    alignas(64) std::atomic<uint32_t> generation_{0};  // bumped to start a job
    alignas(64) std::atomic<uint32_t> pending_{0};     // workers still in the job
    std::atomic<bool> stopping_{false};
    std::mutex error_mutex_;
    std::exception_ptr error_;
    std::vector<std::thread> workers_;
};

// Physical cores this process may run on (hyper-threads of one core count
// once); falls back to std::thread::hardware_concurrency(), then to 1.
int physical_core_count();

}  // namespace clawbot
