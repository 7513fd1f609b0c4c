// SPDX-License-Identifier: Apache-2.0
// @gssx//third_party/system:sodium is the consumer's own :my_sodium here
// (.bazelrc sets the label_flag): its define reaches this test, and so
// does its libsodium.
#include <sodium.h>

#include <cstdio>

int main() {
#ifndef CONSUMER_SODIUM_TARGET
  std::fprintf(stderr, "sodium_flag_test: the label_flag was not applied\n");
  return 1;
#else
  if (sodium_init() < 0) return 1;
  std::printf("sodium_flag_test: gssx uses the consumer's sodium target\n");
  return 0;
#endif
}
