// SPDX-License-Identifier: Apache-2.0
// main() that replays a libFuzzer target's corpus as ordinary gtest cases,
// so every build (gcc, ASan, TSan) regression-tests the seed corpus.
//
//   replay_test [--gtest flags] CORPUS_DIR_OR_FILE...
//
// One test case per file (suite "Corpus", named after the file), plus
// Corpus.NotEmpty, which fails when no input was found: a corpus test that
// replays nothing must not pass. A crash or an invariant violation
// (FUZZ_CHECK) in the target aborts the binary, which Bazel reports as a
// failed test; the fd-leak check of //testing runs around every case.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "testing/fd_leak.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv)
    __attribute__((weak));

namespace {

void Collect(const std::string& path, std::vector<std::string>* out) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return;
  if (S_ISREG(st.st_mode)) {
    out->push_back(path);
    return;
  }
  if (!S_ISDIR(st.st_mode)) return;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return;
  while (struct dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    Collect(path + "/" + name, out);
  }
  ::closedir(dir);
}

std::string TestName(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  for (char& c : base) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return base;
}

class ReplayOne : public ::testing::Test {
 public:
  explicit ReplayOne(std::string path) : path_(std::move(path)) {}
  void TestBody() override {
    std::ifstream in(path_, std::ios::binary);
    ASSERT_TRUE(in) << "cannot read " << path_;
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    // A copy of exactly the input's size, so ASan sees reads past its end.
    std::vector<uint8_t> exact(bytes);
    LLVMFuzzerTestOneInput(exact.data(), exact.size());
  }

 private:
  std::string path_;
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) Collect(argv[i], &files);
  std::sort(files.begin(), files.end());
  const size_t count = files.size();
  ::testing::RegisterTest("Corpus", "NotEmpty", nullptr, nullptr, __FILE__,
                          __LINE__, [count]() -> ::testing::Test* {
                            struct NotEmpty : ::testing::Test {
                              explicit NotEmpty(size_t n) : n(n) {}
                              void TestBody() override {
                                EXPECT_GT(n, 0u) << "no corpus files found";
                              }
                              size_t n;
                            };
                            return new NotEmpty(count);
                          });
  for (const std::string& file : files) {
    ::testing::RegisterTest(
        "Corpus", TestName(file).c_str(), nullptr, file.c_str(), __FILE__,
        __LINE__, [file]() -> ::testing::Test* { return new ReplayOne(file); });
  }
  gssx::testing::InstallFdLeakCheck();
  return RUN_ALL_TESTS();
}
