#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Counts gtest cases from Bazel's test.xml files.

Usage: count_results.py LABEL TESTLOGS_DIR < labels
(the test targets, one per line, e.g. from `bazel query 'tests(//...)'`)
Prints "LABEL: N passed, N failed, N skipped" and writes the three numbers
to stdout's last line as "counts P F S" for the caller to add up. A target
that crashed before gtest wrote its XML has Bazel's own test.xml with an
<error>/<failure>, which counts as a failed case.
"""
import os
import sys
import xml.etree.ElementTree as ET


def count(top, labels):
    passed = failed = skipped = 0
    failures = []
    for label in labels:
        # //pkg/sub:name -> TESTLOGS/pkg/sub/name/test.xml
        rel = label.lstrip("/").replace(":", "/").lstrip("/")
        root = os.path.join(top, rel)
        path = os.path.join(root, "test.xml")
        if not os.path.exists(path):
            failed += 1
            failures.append(f"{label}: no test.xml (did not run)")
            continue
        try:
            tree = ET.parse(path)
        except ET.ParseError as e:
            failed += 1
            failures.append(f"{path}: unreadable ({e})")
            continue
        cases = tree.getroot().iter("testcase")
        n = 0
        for case in cases:
            n += 1
            name = f"{case.get('classname')}.{case.get('name')}"
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                failures.append(f"{os.path.relpath(root, top)}: {name}")
            elif case.get("result") == "skipped" or case.get("status") == "notrun" \
                    or case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1
        if n == 0:
            failed += 1
            failures.append(f"{path}: no test cases")
    return passed, failed, skipped, failures


def main():
    label, top = sys.argv[1], sys.argv[2]
    labels = [l.strip() for l in sys.stdin if l.strip().startswith("//")]
    p, f, s, failures = count(top, labels)
    for line in failures:
        print(f"  FAILED {line}")
    print(f"{label}: {p} passed, {f} failed, {s} skipped")
    print(f"counts {p} {f} {s}")


if __name__ == "__main__":
    main()
