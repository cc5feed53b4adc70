// Small facts the store needs: the clock, who this process is, whether another process lives, the
// default store location, run status names and the config hash.
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "store/store_internal.h"

namespace loralab {

namespace {

constexpr const char* kStatusNames[] = {"queued",  "running", "paused",     "done",
                                        "stopped", "failed",  "interrupted"};

}  // namespace

const char* run_status_name(RunStatus status) { return kStatusNames[static_cast<int>(status)]; }

RunStatus parse_run_status(const std::string& text) {
  for (int i = 0; i < static_cast<int>(std::size(kStatusNames)); ++i)
    if (text == kStatusNames[i]) return static_cast<RunStatus>(i);
  std::string known;
  for (const char* name : kStatusNames) known += (known.empty() ? "" : ", ") + std::string(name);
  throw Error("run status: unknown status '" + text + "'; expected one of " + known);
}

std::string default_store_path() {
  std::string base;
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg && xdg[0] == '/') {  // the XDG spec says relative values are to be ignored
    base = xdg;
  } else {
    const char* home = std::getenv("HOME");
    if (!home || !home[0]) {
      const passwd* entry = getpwuid(getuid());
      home = entry ? entry->pw_dir : nullptr;
    }
    if (!home || !home[0])
      throw Error("experiment store: neither XDG_DATA_HOME nor HOME is set; pass a store path");
    base = std::string(home) + "/.local/share";
  }
  return base + "/loralab/experiments.sqlite";
}

std::string config_hash(const std::string& json) {
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("run config_json: not valid JSON (") + e.what() + ")");
  }
  std::string canonical = parsed.dump();  // object keys come out sorted
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : canonical) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

namespace store_detail {

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

int64_t this_pid() { return static_cast<int64_t>(::getpid()); }

const std::string& this_host() {
  static const std::string host = [] {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return std::string();
    return std::string(name);
  }();
  return host;
}

bool process_alive(int64_t pid) {
  if (pid <= 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) == 0) return true;
  return errno == EPERM;  // exists, owned by someone else; ESRCH means gone
}

}  // namespace store_detail
}  // namespace loralab
