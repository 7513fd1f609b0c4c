#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# libgssx-handoff.so's symbols (run by Bazel as :symbol_test):
#   - it defines no gss_* symbol (those are the application's GSS-API's);
#   - it exports exactly the functions <gssx/handoff.h> declares, all
#     gssx_handoff_* / gssx_chan_*, under version GSSX_HANDOFF_1, and those
#     <gssx/handoff_upgrade.h> declares under GSSX_HANDOFF_1.1;
#   - SONAME libgssx-handoff.so.1, and it needs MIT's libgssapi_krb5;
#   - an application linking it and -lgssapi_krb5 (symbol_app) resolves
#     every gss_* name the library calls into MIT's library.
# Usage: symbol_test.sh LIB HEADER APP UPGRADE_HEADER
set -euo pipefail
lib=$1 header=$2 app=$3 upgrade_header=$4
fail() {
  echo "symbol_test: FAIL: $*" >&2
  exit 1
}

defined=$(nm -D --defined-only "$lib" | awk '{print $3}')
if grep -E '^gss_' <<<"$defined"; then
  fail "libgssx-handoff.so defines gss_* symbols (above)"
fi
bad=$(grep -Ev '^(gssx_handoff_[a-z0-9_]+|gssx_chan_[a-z0-9_]+)@@GSSX_HANDOFF_1$|^gssx_handoff_upgrade_[a-z0-9_]+@@GSSX_HANDOFF_1\.1$|^GSSX_HANDOFF_1(\.1)?$' <<<"$defined" || true)
[[ -z $bad ]] || fail "non-public symbols exported: $bad"

exported=$(sed -n 's/@@GSSX_HANDOFF_1$//p' <<<"$defined" | sort -u)
declared=$(grep -oE '^(OM_uint32|int|void|const char \*)[ ]*(gssx_(handoff|chan)_[a-z0-9_]+)\(' "$header" |
  grep -oE 'gssx_[a-z0-9_]+' | sort -u)
[[ -n $declared ]] || fail "no declarations found in $header"
if [[ $exported != "$declared" ]]; then
  diff <(echo "$declared") <(echo "$exported") >&2 || true
  fail "exported functions differ from the declared ones (< declared, > exported)"
fi
exported_1_1=$(sed -n 's/@@GSSX_HANDOFF_1\.1$//p' <<<"$defined" | sort -u)
declared_1_1=$(grep -oE '^OM_uint32 gssx_handoff_upgrade_[a-z0-9_]+\(' "$upgrade_header" |
  grep -oE 'gssx_[a-z0-9_]+' | sort -u)
[[ -n $declared_1_1 ]] || fail "no declarations found in $upgrade_header"
if [[ $exported_1_1 != "$declared_1_1" ]]; then
  diff <(echo "$declared_1_1") <(echo "$exported_1_1") >&2 || true
  fail "GSSX_HANDOFF_1.1 differs from <gssx/handoff_upgrade.h> (< declared, > exported)"
fi
echo "symbol_test: exports exactly the $(wc -l <<<"$exported") + $(wc -l <<<"$exported_1_1") declared functions (GSSX_HANDOFF_1, _1.1), no gss_*"

dyn=$(readelf -d "$lib")
grep -q 'Library soname: \[libgssx-handoff.so.1\]' <<<"$dyn" || fail "SONAME is not libgssx-handoff.so.1"
grep -q 'Shared library: \[libgssapi_krb5.so.2\]' <<<"$dyn" || fail "does not need libgssapi_krb5.so.2"

used=$(nm -D --undefined-only "$lib" | awk '{print $2}' | sed 's/@.*//' | grep -E '^gss_' | sort -u)
[[ -n $used ]] || fail "libgssx-handoff.so calls no gss_* function?"
echo "symbol_test: gss_* names the library calls: $(echo $used)"
# The app needs the SONAME (libgssx-handoff.so.1); Bazel's runfiles have
# the library under its target name.
libdir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/symbol_test.XXXXXX")
ln -s "$(realpath "$lib")" "$libdir/libgssx-handoff.so.1"
# shellcheck disable=SC2086  # a word list
LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$app" $used $exported $exported_1_1 ||
  fail "symbol_app failed"
echo "symbol_test: PASS"
