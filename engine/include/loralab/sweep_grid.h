// Sweep specifications: "rank=4,8,16;alpha=8,16;targets=q_proj+v_proj,all-linear" expands to the
// grid of every combination; "lr=1e-4..5e-4:log;rank=4,8,16" with N samples is a random search,
// reproducible from its seed. Each point is a set of training-config overrides.
//
// Grammar: SPEC = AXIS (";" AXIS)* ; AXIS = KEY "=" VALUES ; VALUES = VALUE ("," VALUE)*
//          | LOW ".." HIGH [":log"]  (a range: random search only, numeric keys only).
// `alpha=rank` ties alpha to rank (override alpha_equals_rank=true, and alpha = the point's rank
// when rank is part of the point); a numeric alpha is a plain {"alpha": x} override, which the
// trainer must let win over a base config's alpha_equals_rank. Spaces around tokens are ignored.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "loralab/error.h"

namespace loralab {

using SweepValue = std::variant<bool, int64_t, double, std::string>;
std::string sweep_value_text(const SweepValue& value);  // 4, 0.0001, true, all-linear

enum class SweepKeyType { Int, Real, Bool, Choice, Targets };
struct SweepKey {
  std::string name;
  SweepKeyType type;
  std::string expects;               // for messages: "a whole number ≥ 1"
  std::vector<std::string> choices;  // Choice keys
};
// The training fields a sweep may vary, in a stable order.
const std::vector<SweepKey>& sweep_keys();

struct SweepRange {
  double low = 0;
  double high = 0;
  bool log = false;
};

struct SweepAxis {
  std::string key;
  std::vector<SweepValue> values;   // a list (grid or random choice)
  std::optional<SweepRange> range;  // or a range (random search)
};

struct SweepSpec {
  std::vector<SweepAxis> axes;  // in the order written
  bool has_ranges() const;
  // Number of grid points, saturating at INT64_MAX; throws if the spec has ranges.
  int64_t grid_size() const;
};

// One run's overrides, keys in spec order.
struct SweepPoint {
  std::vector<std::pair<std::string, SweepValue>> overrides;
  const SweepValue* find(const std::string& key) const;
  std::string json() const;   // {"alpha":16,"rank":8,...}
  std::string label() const;  // "rank=8 alpha=16 targets=all-linear"
};

struct SweepLimits {
  int64_t max_runs = 1000;  // larger sweeps throw SweepTooLarge unless allow_large
  bool allow_large = false;
  int64_t hard_max_runs = 100000;  // never expanded, even when allowed
};

// Thrown when a sweep would create more than max_runs runs: the CLI asks for --yes, the GUI for a
// confirmation, then expand again with allow_large.
class SweepTooLarge : public Error {
 public:
  SweepTooLarge(const std::string& message, int64_t runs, int64_t limit)
      : Error(message), runs_(runs), limit_(limit) {}
  int64_t runs() const { return runs_; }
  int64_t limit() const { return limit_; }

 private:
  int64_t runs_;
  int64_t limit_;
};

// Throws loralab::Error naming the key and value for: an unknown key (listing the known ones), a
// missing "=", an empty value list or empty item, a value of the wrong type or out of range, a
// key given twice, an empty spec.
SweepSpec parse_sweep_spec(const std::string& text);
// Every combination; the first axis varies slowest. Throws for a spec with ranges.
std::vector<SweepPoint> expand_grid(const SweepSpec& spec, const SweepLimits& limits = {});
// `samples` points, each value drawn independently (uniform from a list, uniform or log-uniform
// from a range, integer keys rounded); the same seed gives the same points on every platform.
std::vector<SweepPoint> sample_random(const SweepSpec& spec, int64_t samples, uint64_t seed,
                                      const SweepLimits& limits = {});

}  // namespace loralab
