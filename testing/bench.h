// SPDX-License-Identifier: Apache-2.0
// Small pieces the benchmarks share (gssx:handoff_benchmark,
// gssx:scale_benchmark, gssx/krb5_bridge:krb5_handoff_benchmark,
// examples:handoff_load): order statistics of samples, and CPU pinning.
#ifndef GSSX_TESTING_BENCH_H_
#define GSSX_TESTING_BENCH_H_

#include <vector>

#include "absl/status/status.h"

namespace gssx::testing {

// The p-quantile (0 <= p < 1) of `samples`: the element at index
// floor(p * n) of the sorted samples (0 if there are none).
double Percentile(std::vector<double> samples, double p);

struct LatencyStats {
  double median = 0;
  double p99 = 0;
};
LatencyStats Summarize(std::vector<double> samples);

// Pins this process — and the children it forks afterwards — to `cpu`;
// with cpu < 0, allows it every CPU again.
absl::Status PinToCpu(int cpu);

}  // namespace gssx::testing

#endif  // GSSX_TESTING_BENCH_H_
