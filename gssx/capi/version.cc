// SPDX-License-Identifier: Apache-2.0
// gssx_version(): the release of the library a program runs with.
#include <gssx/gssx.h>

extern "C" const char* gssx_version(void) { return GSSX_VERSION_STRING; }
