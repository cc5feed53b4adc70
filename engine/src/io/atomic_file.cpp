// Temp file + fsync + rename, so a crash or a full disk never leaves a half-written target.
#include "loralab/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>

#include "loralab/error.h"

namespace loralab {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// The temp file lives next to the target: rename() is only atomic within one file system.
std::string folder_of(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? std::string(".") : dir;
}

// Opens a fresh temp file with O_EXCL; the name mixes pid, a counter and the clock so concurrent
// writers (threads or processes) never share one.
int open_temp(const std::string& target, std::string& temp_path) {
  static std::atomic<uint64_t> counter{0};
  const std::string dir = folder_of(target);
  const std::string base = std::filesystem::path(target).filename().string();
  int last_error = 0;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
    temp_path = dir + "/." + base + ".tmp-" + std::to_string(::getpid()) + "-" +
                std::to_string(counter.fetch_add(1)) + "-" + std::to_string(ticks % 1000000);
    int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    last_error = errno;
    if (last_error != EEXIST) break;
  }
  throw Error(target + ": cannot create a temporary file in folder " + dir + ": " +
              errno_text(last_error));
}

// Best effort: makes the rename itself durable. Some file systems refuse fsync on a folder.
void sync_folder(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

void AtomicSink::write(const void* data, size_t size) {
  const char* cursor = static_cast<const char*>(data);
  size_t left = size;
  while (left > 0) {
    ssize_t n = ::write(fd_, cursor, left);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      throw Error(target_ + ": writing failed after " + std::to_string(written_) +
                  " bytes: " + errno_text(err));
    }
    cursor += n;
    left -= static_cast<size_t>(n);
    written_ += static_cast<uint64_t>(n);
  }
}

void AtomicSink::write(std::span<const std::byte> bytes) { write(bytes.data(), bytes.size()); }

void AtomicSink::write(std::string_view text) { write(text.data(), text.size()); }

void write_file_atomic(const std::string& path, const std::function<void(AtomicSink&)>& fill) {
  if (path.empty()) throw Error("cannot write a file with an empty path");
  std::string temp_path;
  int fd = open_temp(path, temp_path);
  auto discard = [&] {
    if (fd >= 0) ::close(fd);
    fd = -1;
    ::unlink(temp_path.c_str());
  };
  try {
    // Keep the permissions of a file being replaced (the umask decides for a new one).
    struct stat existing {};
    if (::stat(path.c_str(), &existing) == 0 && S_ISREG(existing.st_mode)) {
      (void)::fchmod(fd, existing.st_mode & 07777);
    }
    AtomicSink sink(fd, path);
    fill(sink);
    if (::fsync(fd) != 0) {
      const int err = errno;
      throw Error(path + ": fsync of the temporary file failed: " + errno_text(err));
    }
    int closing = fd;
    fd = -1;
    if (::close(closing) != 0) {
      const int err = errno;
      throw Error(path + ": closing the temporary file failed: " + errno_text(err));
    }
    if (::rename(temp_path.c_str(), path.c_str()) != 0) {
      const int err = errno;
      throw Error(path + ": cannot replace it with the temporary file " + temp_path + ": " +
                  errno_text(err));
    }
  } catch (...) {
    discard();
    throw;
  }
  sync_folder(folder_of(path));
}

void write_file_atomic(const std::string& path, std::span<const std::byte> bytes) {
  write_file_atomic(path, [bytes](AtomicSink& sink) { sink.write(bytes); });
}

void write_text_file_atomic(const std::string& path, std::string_view text) {
  write_file_atomic(path, [text](AtomicSink& sink) { sink.write(text); });
}

}  // namespace loralab
