#include "service/api/work_queue.h"

namespace clawbot::service {

WorkQueue::WorkQueue(int threads, std::size_t max_pending) : max_pending_(max_pending) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { worker(); });
}

WorkQueue::~WorkQueue() { shut_down(); }

void WorkQueue::shut_down() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) {
        if (t.joinable()) t.join();
    }
}

void WorkQueue::post(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
}

bool WorkQueue::try_post(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || jobs_.size() >= max_pending_) return false;
        jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
    return true;
}

std::size_t WorkQueue::pending() const {
    std::lock_guard lock(mutex_);
    return jobs_.size();
}

void WorkQueue::worker() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) return;  // stopping and drained
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        job();
    }
}

}  // namespace clawbot::service
