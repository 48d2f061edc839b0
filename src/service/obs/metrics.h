#pragma once
// A small Prometheus registry: labelled counters, histograms and gauges
// read at scrape time, rendered in the text exposition format.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace clawbot::service {

class CounterFamily {
public:
    CounterFamily(std::string name, std::string help, std::vector<std::string> label_names);
    // label_values must match label_names in count.
    void inc(const std::vector<std::string>& label_values, double amount = 1.0);
    void render(std::string& out) const;
    const std::string& name() const { return name_; }

private:
    std::string name_, help_;
    std::vector<std::string> label_names_;
    mutable std::mutex mutex_;
    std::map<std::vector<std::string>, double> values_;
};

class Histogram {
public:
    Histogram(std::string name, std::string help, std::vector<double> upper_bounds);
    void observe(double value);
    void render(std::string& out) const;

private:
    std::string name_, help_;
    std::vector<double> bounds_;
    mutable std::mutex mutex_;
    std::vector<uint64_t> counts_;  // per bucket (not cumulative)
    double sum_ = 0;
    uint64_t count_ = 0;
};

class MetricsRegistry {
public:
    CounterFamily& counter(const std::string& name, const std::string& help, std::vector<std::string> label_names = {});
    Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> upper_bounds);
    // A gauge (or counter, with type "counter") whose value is read at scrape time.
    void callback(const std::string& name, const std::string& help, std::function<double()> read,
                  const std::string& type = "gauge");
    std::string render() const;

private:
    struct Callback {
        std::string name, help, type;
        std::function<double()> read;
    };
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<CounterFamily>> counters_;
    std::vector<std::unique_ptr<Histogram>> histograms_;
    std::vector<Callback> callbacks_;
};

// Standard latency buckets in seconds.
std::vector<double> latency_buckets();

// Escapes a label value for the exposition format.
std::string escape_label(const std::string& value);

}  // namespace clawbot::service
