#include "service/obs/metrics.h"

#include <cmath>
#include <cstdio>

namespace clawbot::service {
namespace {

std::string format_number(double v) {
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[64];
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
    } else {
        std::snprintf(buf, sizeof buf, "%.9g", v);
    }
    return buf;
}

void header(std::string& out, const std::string& name, const std::string& help, const char* type) {
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

std::string escape_label(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::vector<double> latency_buckets() { return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}; }

CounterFamily::CounterFamily(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

void CounterFamily::inc(const std::vector<std::string>& label_values, double amount) {
    std::lock_guard lock(mutex_);
    values_[label_values] += amount;
}

void CounterFamily::render(std::string& out) const {
    header(out, name_, help_, "counter");
    std::lock_guard lock(mutex_);
    for (const auto& [labels, value] : values_) {
        out += name_;
        if (!labels.empty()) {
            out += "{";
            for (size_t i = 0; i < labels.size() && i < label_names_.size(); ++i) {
                out += (i ? "," : "") + label_names_[i] + "=\"" + escape_label(labels[i]) + "\"";
            }
            out += "}";
        }
        out += " " + format_number(value) + "\n";
    }
}

Histogram::Histogram(std::string name, std::string help, std::vector<double> upper_bounds)
    : name_(std::move(name)), help_(std::move(help)), bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
    size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) ++i;
    std::lock_guard lock(mutex_);
    ++counts_[i];
    sum_ += value;
    ++count_;
}

void Histogram::render(std::string& out) const {
    header(out, name_, help_, "histogram");
    std::lock_guard lock(mutex_);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
        cumulative += counts_[i];
        out += name_ + "_bucket{le=\"" + format_number(bounds_[i]) + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += name_ + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
    out += name_ + "_sum " + format_number(sum_) + "\n";
    out += name_ + "_count " + std::to_string(count_) + "\n";
}

CounterFamily& MetricsRegistry::counter(const std::string& name, const std::string& help, std::vector<std::string> label_names) {
    std::lock_guard lock(mutex_);
    counters_.push_back(std::make_unique<CounterFamily>(name, help, std::move(label_names)));
    return *counters_.back();
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help, std::vector<double> upper_bounds) {
    std::lock_guard lock(mutex_);
    histograms_.push_back(std::make_unique<Histogram>(name, help, std::move(upper_bounds)));
    return *histograms_.back();
}

void MetricsRegistry::callback(const std::string& name, const std::string& help, std::function<double()> read, const std::string& type) {
    std::lock_guard lock(mutex_);
    callbacks_.push_back({name, help, type, std::move(read)});
}

std::string MetricsRegistry::render() const {
    std::string out;
    std::lock_guard lock(mutex_);
    for (const auto& c : counters_) c->render(out);
    for (const auto& h : histograms_) h->render(out);
    for (const Callback& c : callbacks_) {
        header(out, c.name, c.help, c.type.c_str());
        out += c.name + " " + format_number(c.read()) + "\n";
    }
    return out;
}

}  // namespace clawbot::service
