// SPDX-License-Identifier: Apache-2.0
// The C++ side of the C ABI's C tests: runs each C test function as one
// gtest case (testing/c_check/c_check_gtest.h) with the C ABI's checks
// (c_check.h here). testonly.
//
//   // oids_test.cc
//   #include "gssx/capi/testing/c_check_gtest.h"
//   #define X(fn) GSSX_C_TEST(CApiOids, fn)
//   #include "gssx/capi/oids_tests.inc"
//   #undef X
//
// where oids_tests.inc lists `X(oids_round_trip)` ... and oids_test.c
// defines `void oids_round_trip(void)`. Failed CHECKs inside the C function
// are reported through c_check_failed (testing/c_check/c_check.h) as gtest
// failures at the C file and line.
#ifndef GSSX_CAPI_TESTING_C_CHECK_GTEST_H_
#define GSSX_CAPI_TESTING_C_CHECK_GTEST_H_

#include "gssx/capi/testing/c_check.h"
#include "testing/c_check/c_check_gtest.h"

#endif  // GSSX_CAPI_TESTING_C_CHECK_GTEST_H_
