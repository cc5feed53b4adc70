// `loralab-cli stories`: writes synthetic stories of one style (or all, mixed) as JSONL, one
// {"text", "style"} object per line, the format the dataset reader takes for training data.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "loralab/atomic_file.h"
#include "loralab/error.h"
#include "loralab/stories.h"

namespace loralab::cli {
namespace {

// Enough for any corpus this tool is meant for, small enough that the set fits in memory.
constexpr long long kMaxCount = 1000000;

std::string known_styles() {
  std::string list = "all";
  for (const auto& style : story_styles()) list += ", " + style;
  return list;
}

uint64_t parse_seed(const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] == '-' || text[0] == '+' || end != text.c_str() + text.size() ||
      errno == ERANGE)
    throw Error("--seed: expected a whole number from 0 to 18446744073709551615, got '" + text +
                "'");
  return value;
}

int run_stories(const std::vector<std::string>& argv) {
  Args args(argv);
  args.reject_unknown({"style", "count", "seed", "out"});
  const std::string style = args.required("style");
  if (style != "all" && !is_story_style(style))
    throw Error("--style: unknown story style '" + style + "' (known: " + known_styles() + ")");
  const std::string count_text = args.required("count");
  const long long count = parse_int(count_text, "--count");
  if (count <= 0 || count > kMaxCount)
    throw Error("--count: expected a whole number from 1 to " + std::to_string(kMaxCount) +
                ", got '" + count_text + "'");
  const uint64_t seed = parse_seed(args.get_or("seed", "1"));
  const std::string out = args.required("out");
  if (out.empty()) throw Error("--out: expected the path of a .jsonl file to write, got ''");

  const auto stories = generate_stories(style, static_cast<size_t>(count), seed);
  size_t words_total = 0, words_min = SIZE_MAX, words_max = 0;
  std::map<std::string, size_t> per_style;
  for (const auto& story : stories) {
    const size_t words = story_word_count(story.text);
    words_total += words;
    words_min = std::min(words_min, words);
    words_max = std::max(words_max, words);
    ++per_style[story.style];
  }
  uint64_t bytes = 0;
  write_file_atomic(out, [&](AtomicSink& sink) {
    for (const auto& story : stories) {
      nlohmann::json line = {{"text", story.text}, {"style", story.style}};
      sink.write(line.dump() + "\n");
    }
    bytes = sink.bytes_written();
  });

  nlohmann::json summary = {
      {"style", style},
      {"count", stories.size()},
      {"seed", seed},
      {"out", out},
      {"bytes", bytes},
      {"words_mean", static_cast<double>(words_total) / static_cast<double>(stories.size())},
      {"words_min", words_min},
      {"words_max", words_max},
      {"per_style", per_style},
  };
  std::cout << summary.dump() << "\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "stories",
    {"write synthetic training stories as JSONL",
     "usage: loralab-cli stories --style STYLE --count N [--seed X] --out FILE.jsonl\n"
     "STYLE is everyday, fairy_tale, science_fiction, mystery, sea_adventure, or all (equal\n"
     "shares of every style, mixed). N is 1 to 1000000; X is a whole number (default 1): the\n"
     "same style, N and X always give the same file. Each line of FILE is {\"text\", \"style\"};\n"
     "the file is written to a temporary file beside it and renamed into place. Prints a JSON\n"
     "summary (count, words_mean/min/max, stories per style).",
     run_stories});

}  // namespace
}  // namespace loralab::cli
