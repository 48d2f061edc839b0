#include "engine/tensor/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace clawbot {
namespace {

TEST(ThreadPool, EveryIndexRunsExactlyOncePerRun) {
    ThreadPool pool(4);
    ASSERT_EQ(pool.size(), 4);
    std::vector<std::atomic<int>> hits(4);
    std::atomic<int> bad_n{0};
    constexpr int kRuns = 2000;
    for (int r = 0; r < kRuns; ++r) {
        pool.run([&](int index, int n) {
            if (n != 4) bad_n.fetch_add(1);
            hits[static_cast<size_t>(index)].fetch_add(1);
        });
        // run() must not return before every index has finished this run.
        for (int i = 0; i < 4; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), r + 1) << "run " << r;
    }
    EXPECT_EQ(bad_n.load(), 0);
}

TEST(ThreadPool, JobStartedRightAfterConstructionReachesEveryWorker) {
    // Workers may not have started running yet when the first job arrives.
    for (int r = 0; r < 200; ++r) {
        ThreadPool pool(3);
        std::atomic<int> calls{0};
        pool.run([&](int, int) { calls.fetch_add(1); });
        ASSERT_EQ(calls.load(), 3);
    }
}

TEST(ThreadPool, IndexZeroIsTheCallingThread) {
    ThreadPool pool(3);
    std::vector<std::thread::id> ids(3);
    pool.run([&](int index, int) { ids[static_cast<size_t>(index)] = std::this_thread::get_id(); });
    EXPECT_EQ(ids[0], std::this_thread::get_id());
    EXPECT_NE(ids[1], std::this_thread::get_id());
    EXPECT_NE(ids[2], std::this_thread::get_id());
    EXPECT_NE(ids[1], ids[2]);
}

TEST(ThreadPool, SingleThreadRunsInline) {
    ThreadPool pool(1);
    EXPECT_EQ(pool.size(), 1);
    const std::thread::id caller = std::this_thread::get_id();
    int calls = 0;
    for (int r = 0; r < 10; ++r) {
        pool.run([&](int index, int n) {
            EXPECT_EQ(index, 0);
            EXPECT_EQ(n, 1);
            EXPECT_EQ(std::this_thread::get_id(), caller);
            ++calls;
        });
    }
    EXPECT_EQ(calls, 10);
}

TEST(ThreadPool, NonPositiveSizeMeansOne) {
    ThreadPool pool(0);
    EXPECT_EQ(pool.size(), 1);
}

TEST(ThreadPool, WorkersThatSleptWakeUpForTheNextRun) {
    // Zero spin: workers block on the futex right after each run.
    ThreadPool pool(3, std::chrono::microseconds(0));
    std::atomic<int> total{0};
    for (int r = 0; r < 200; ++r) {
        if (r % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        pool.run([&](int index, int) { total.fetch_add(index + 1); });
    }
    EXPECT_EQ(total.load(), 200 * (1 + 2 + 3));
}

TEST(ThreadPool, SplitsWorkWithoutOverlap) {
    ThreadPool pool(3);
    std::vector<int> data(1000, 0);
    for (int r = 0; r < 100; ++r) {
        pool.run([&](int index, int n) {
            const size_t first = data.size() * static_cast<size_t>(index) / static_cast<size_t>(n);
            const size_t last = data.size() * static_cast<size_t>(index + 1) / static_cast<size_t>(n);
            for (size_t i = first; i < last; ++i) data[i] += 1;
        });
    }
    for (int v : data) ASSERT_EQ(v, 100);
}

TEST(ThreadPool, ExceptionFromAWorkerReachesTheCaller) {
    ThreadPool pool(2);
    EXPECT_THROW(pool.run([](int index, int) {
        if (index == 1) throw std::runtime_error("worker failed");
    }),
                 std::runtime_error);
    // The pool stays usable afterwards.
    std::atomic<int> calls{0};
    pool.run([&](int, int) { calls.fetch_add(1); });
    EXPECT_EQ(calls.load(), 2);
}

TEST(ThreadPool, PhysicalCoreCountIsPositiveAndAtMostLogicalCpus) {
    const int cores = physical_core_count();
    EXPECT_GE(cores, 1);
    const unsigned logical = std::thread::hardware_concurrency();
    if (logical > 0) {
        EXPECT_LE(cores, static_cast<int>(logical));
    }
}

}  // namespace
}  // namespace clawbot
