// SPDX-License-Identifier: Apache-2.0
#include "testing/bench.h"

#include <sched.h>

#include <algorithm>
#include <cerrno>

namespace gssx::testing {

namespace {

// The p-quantile of samples already sorted.
double SortedPercentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = std::min(sorted.size() - 1,
                      static_cast<size_t>(p * static_cast<double>(sorted.size())));
  return sorted[i];
}

}  // namespace

double Percentile(std::vector<double> samples, double p) {
  std::sort(samples.begin(), samples.end());
  return SortedPercentile(samples, p);
}

LatencyStats Summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());  // once, for both quantiles
  LatencyStats s;
  s.median = SortedPercentile(samples, 0.5);
  s.p99 = SortedPercentile(samples, 0.99);
  return s;
}

absl::Status PinToCpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu >= 0) {
    CPU_SET(cpu, &set);
  } else {
    for (int i = 0; i < CPU_SETSIZE; ++i) CPU_SET(i, &set);
  }
  // Unpinning asks for CPUs that may not exist; the kernel keeps those
  // that do, so only a failed pin is an error.
  if (::sched_setaffinity(0, sizeof set, &set) != 0 && cpu >= 0) {
    return absl::ErrnoToStatus(errno, "sched_setaffinity");
  }
  return absl::OkStatus();
}

}  // namespace gssx::testing
