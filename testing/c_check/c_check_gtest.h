// SPDX-License-Identifier: Apache-2.0
// The C++ side of tests written in C: runs each C test function as one
// gtest case. testonly.
//
//   // oids_test.cc
//   #include "testing/c_check/c_check_gtest.h"
//   #define X(fn) GSSX_C_TEST(CApiOids, fn)
//   #include "gssx/capi/oids_tests.inc"
//   #undef X
//
// where oids_tests.inc lists `X(oids_round_trip)` ... and oids_test.c
// defines `void oids_round_trip(void)`. Failed CHECKs inside the C function
// are reported through c_check_failed (c_check.h) as gtest failures at the
// C file and line.
#ifndef GSSX_TESTING_C_CHECK_C_CHECK_GTEST_H_
#define GSSX_TESTING_C_CHECK_C_CHECK_GTEST_H_

#include "gtest/gtest.h"
#include "testing/c_check/c_check.h"

#define GSSX_C_TEST(suite, fn) \
  extern "C" void fn(void);    \
  TEST(suite, fn) { fn(); }

#endif  // GSSX_TESTING_C_CHECK_C_CHECK_GTEST_H_
