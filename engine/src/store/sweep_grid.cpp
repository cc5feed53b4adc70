// Sweep spec parsing, grid expansion and seeded random search (see loralab/sweep_grid.h).
#include "loralab/sweep_grid.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>

#include "loralab/lora.h"

namespace loralab {

namespace {

// Bounds per key; a value must lie in [min, max] with the open ends excluded.
struct KeyRule {
  SweepKey key;
  double min = -std::numeric_limits<double>::infinity();
  bool min_open = false;
  double max = std::numeric_limits<double>::infinity();
  bool max_open = false;
};

constexpr double kInf = std::numeric_limits<double>::infinity();

// The trainer's target vocabulary (loralab/lora.h): a grid value is valid exactly when
// expand_targets accepts it and it adapts only modules a LLaMA-family block has.
const std::vector<std::string> kTargetPresets = {"attention-qv", "attention-qkv", "attention-qkvo",
                                                 "mlp", "all-linear"};

const std::vector<KeyRule>& key_rules() {
  using T = SweepKeyType;
  static const std::vector<KeyRule> rules = {
      {{"rank", T::Int, "a whole number >= 1", {}}, 1, false, kInf, false},
      {{"alpha", T::Real, "a number > 0, or `rank` to tie alpha to rank", {}},
       0,
       true,
       kInf,
       false},
      {{"alpha_equals_rank", T::Bool, "true or false", {}}},
      {{"targets",
        T::Targets,
        "a preset (attention-qv, attention-qkv, attention-qkvo, mlp, all-linear) or modules and "
        "presets joined by + (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)",
        {}}},
      {{"lr", T::Real, "a number > 0", {}}, 0, true, kInf, false},
      {{"dropout", T::Real, "a number in [0, 1)", {}}, 0, false, 1, true},
      {{"seed", T::Int, "a whole number >= 0", {}}, 0, false, 9007199254740992.0, false},
      {{"precision", T::Choice, "one of fp32, bf16", {"fp32", "bf16"}}},
      {{"steps", T::Int, "a whole number >= 1", {}}, 1, false, kInf, false},
      {{"batch", T::Int, "a whole number >= 1", {}}, 1, false, kInf, false},
      {{"seq", T::Int, "a whole number >= 1", {}}, 1, false, kInf, false},
      {{"accum", T::Int, "a whole number >= 1", {}}, 1, false, kInf, false},
      {{"warmup", T::Int, "a whole number >= 0", {}}, 0, false, kInf, false},
      {{"weight_decay", T::Real, "a number >= 0", {}}, 0, false, kInf, false},
      {{"clip", T::Real, "a number >= 0 (0 = no clipping)", {}}, 0, false, kInf, false},
      {{"schedule",
        T::Choice,
        "one of constant, linear, cosine",
        {"constant", "linear", "cosine"}}},
      {{"init", T::Choice, "one of default, gaussian, pissa", {"default", "gaussian", "pissa"}}},
      {{"rslora", T::Bool, "true or false", {}}},
      {{"eval_every", T::Int, "a whole number >= 0 (0 = only at the end)", {}},
       0,
       false,
       kInf,
       false},
      {{"rehearsal_share",
        T::Real,
        "a number in [0, 0.9] (the share of rows from the rehearsal set; 0 = none)",
        {}},
       0,
       false,
       0.9,
       false},
      {{"rehearsal_opening_share",
        T::Real,
        "a number in [0, 0.9] (the share of rows that are rehearsal rows with scored openings)",
        {}},
       0,
       false,
       0.9,
       false},
      {{"pack", T::Bool, "true or false (false: one example per row)", {}}},
  };
  return rules;
}

std::string trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find(separator, start);
    parts.push_back(trim(std::string_view(text).substr(
        start, at == std::string::npos ? std::string::npos : at - start)));
    if (at == std::string::npos) break;
    start = at + 1;
  }
  return parts;
}

std::string known_keys_text() {
  std::string text;
  for (const auto& rule : key_rules()) text += (text.empty() ? "" : ", ") + rule.key.name;
  return text;
}

const KeyRule& rule_for(const std::string& key) {
  for (const auto& rule : key_rules())
    if (rule.key.name == key) return rule;
  throw Error("sweep grid: unknown key '" + key + "'; known keys: " + known_keys_text());
}

[[noreturn]] void bad_value(const KeyRule& rule, const std::string& value) {
  throw Error("sweep grid: " + rule.key.name + "=" + value + ": expected " + rule.key.expects +
              ", found '" + value + "'");
}

bool parse_double_text(const std::string& text, double& out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

void check_bounds(const KeyRule& rule, double value, const std::string& text) {
  if (value < rule.min || (rule.min_open && value == rule.min) || value > rule.max ||
      (rule.max_open && value == rule.max))
    bad_value(rule, text);
}

SweepValue parse_targets(const KeyRule& rule, const std::string& text) {
  const std::vector<std::string> modules = linear_module_names();
  std::vector<std::string> names = split(text, '+');
  std::set<std::string> seen;
  for (const auto& name : names) {
    bool known =
        std::find(kTargetPresets.begin(), kTargetPresets.end(), name) != kTargetPresets.end() ||
        std::find(modules.begin(), modules.end(), name) != modules.end();
    if (!known || !seen.insert(name).second) bad_value(rule, text);
  }
  try {
    expand_targets(names);  // the trainer's own check, so the two can never disagree
  } catch (const Error&) {
    bad_value(rule, text);
  }
  return text;
}

SweepValue parse_value(const KeyRule& rule, const std::string& text) {
  if (text.empty())
    throw Error("sweep grid: " + rule.key.name + ": empty value in the list (expected " +
                rule.key.expects + ")");
  switch (rule.key.type) {
    case SweepKeyType::Int: {
      int64_t value = 0;
      const char* end = text.data() + text.size();
      auto [ptr, ec] = std::from_chars(text.data(), end, value);
      if (ec != std::errc() || ptr != end) bad_value(rule, text);
      check_bounds(rule, static_cast<double>(value), text);
      return value;
    }
    case SweepKeyType::Real: {
      if (rule.key.name == "alpha" && text == "rank") return std::string("rank");
      double value = 0;
      if (!parse_double_text(text, value)) bad_value(rule, text);
      check_bounds(rule, value, text);
      return value;
    }
    case SweepKeyType::Bool:
      if (text == "true") return true;
      if (text == "false") return false;
      bad_value(rule, text);
    case SweepKeyType::Choice:
      if (std::find(rule.key.choices.begin(), rule.key.choices.end(), text) ==
          rule.key.choices.end())
        bad_value(rule, text);
      return text;
    case SweepKeyType::Targets:
      return parse_targets(rule, text);
  }
  bad_value(rule, text);
}

SweepRange parse_range(const KeyRule& rule, const std::string& text) {
  if (rule.key.type != SweepKeyType::Int && rule.key.type != SweepKeyType::Real)
    throw Error("sweep grid: " + rule.key.name + "=" + text +
                ": a range needs a numeric key; list the values instead");
  std::string body = text;
  SweepRange range;
  if (body.size() > 4 && body.compare(body.size() - 4, 4, ":log") == 0) {
    range.log = true;
    body.resize(body.size() - 4);
  }
  size_t dots = body.find("..");
  std::string low = trim(body.substr(0, dots)), high = trim(body.substr(dots + 2));
  SweepValue low_value = parse_value(rule, low), high_value = parse_value(rule, high);
  auto as_double = [&](const SweepValue& v) {
    if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
    if (auto* d = std::get_if<double>(&v)) return *d;
    bad_value(rule, text);  // e.g. alpha=rank..16
  };
  range.low = as_double(low_value);
  range.high = as_double(high_value);
  if (range.low > range.high)
    throw Error("sweep grid: " + rule.key.name + "=" + text + ": the range's low end " + low +
                " is above its high end " + high);
  if (range.log && range.low <= 0)
    throw Error("sweep grid: " + rule.key.name + "=" + text + ": a :log range needs a low end > 0");
  return range;
}

std::string format_double(double value) {
  char buffer[64];
  auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, ptr);
}

// Resolves alpha=rank into explicit overrides once the point's other values are known.
SweepPoint finish_point(std::vector<std::pair<std::string, SweepValue>> raw) {
  SweepPoint point;
  const SweepValue* rank = nullptr;
  for (const auto& [key, value] : raw)
    if (key == "rank") rank = &value;
  for (auto& [key, value] : raw) {
    auto* text = std::get_if<std::string>(&value);
    if (key == "alpha" && text && *text == "rank") {
      point.overrides.emplace_back("alpha_equals_rank", true);
      if (rank)
        point.overrides.emplace_back("alpha", static_cast<double>(std::get<int64_t>(*rank)));
      continue;
    }
    point.overrides.emplace_back(key, value);
  }
  return point;
}

void check_count(int64_t runs, const SweepLimits& limits, const std::string& what) {
  if (runs > limits.hard_max_runs)
    throw Error("sweep grid: " + what + " would create " + std::to_string(runs) +
                " runs; at most " + std::to_string(limits.hard_max_runs) + " are supported");
  if (runs > limits.max_runs && !limits.allow_large)
    throw SweepTooLarge("sweep grid: " + what + " would create " + std::to_string(runs) +
                            " runs, more than " + std::to_string(limits.max_runs) +
                            "; confirm to create them all (loralab-cli: --yes)",
                        runs, limits.max_runs);
}

// SplitMix64: tiny, fully specified, so a seed gives the same sweep everywhere (std::
// distributions are implementation-defined).
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
};

SweepValue draw(const SweepAxis& axis, SplitMix64& rng) {
  double u = rng.uniform();
  if (!axis.range) {
    auto index = static_cast<size_t>(u * static_cast<double>(axis.values.size()));
    return axis.values[std::min(index, axis.values.size() - 1)];
  }
  const SweepRange& r = *axis.range;
  double value = r.log ? std::exp(std::log(r.low) + u * (std::log(r.high) - std::log(r.low)))
                       : r.low + u * (r.high - r.low);
  if (rule_for(axis.key).key.type == SweepKeyType::Int)
    return static_cast<int64_t>(
        std::clamp(std::llround(value), std::llround(r.low), std::llround(r.high)));
  return std::clamp(value, r.low, r.high);
}

}  // namespace

std::string sweep_value_text(const SweepValue& value) {
  if (auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&value)) return format_double(*d);
  return std::get<std::string>(value);
}

const std::vector<SweepKey>& sweep_keys() {
  static const std::vector<SweepKey> keys = [] {
    std::vector<SweepKey> out;
    for (const auto& rule : key_rules()) out.push_back(rule.key);
    return out;
  }();
  return keys;
}

bool SweepSpec::has_ranges() const {
  return std::any_of(axes.begin(), axes.end(), [](const SweepAxis& a) { return a.range; });
}

int64_t SweepSpec::grid_size() const {
  if (has_ranges()) throw Error("sweep grid: a spec with ranges has no grid size");
  int64_t size = 1;
  for (const auto& axis : axes) {
    auto n = static_cast<int64_t>(axis.values.size());
    size = size > std::numeric_limits<int64_t>::max() / n ? std::numeric_limits<int64_t>::max()
                                                          : size * n;
  }
  return size;
}

const SweepValue* SweepPoint::find(const std::string& key) const {
  for (const auto& [k, v] : overrides)
    if (k == key) return &v;
  return nullptr;
}

std::string SweepPoint::json() const {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [key, value] : overrides)
    std::visit([&](const auto& v) { object[key] = v; }, value);
  return object.dump();
}

std::string SweepPoint::label() const {
  const SweepValue* tied = find("alpha_equals_rank");
  bool alpha_is_rank = tied && std::get_if<bool>(tied) && std::get<bool>(*tied);
  std::string text;
  for (const auto& [key, value] : overrides) {
    std::string part;
    if (key == "alpha_equals_rank" && alpha_is_rank)
      part = "alpha=rank";
    else if (key == "alpha" && alpha_is_rank)
      continue;
    else
      part = key + "=" + sweep_value_text(value);
    text += (text.empty() ? "" : " ") + part;
  }
  return text;
}

SweepSpec parse_sweep_spec(const std::string& text) {
  SweepSpec spec;
  std::set<std::string> seen;
  for (const auto& segment : split(text, ';')) {
    if (segment.empty()) continue;  // "a=1;;b=2" and a trailing ';' are harmless
    size_t equals = segment.find('=');
    if (equals == std::string::npos)
      throw Error("sweep grid: '" + segment +
                  "': expected KEY=VALUES; known keys: " + known_keys_text());
    SweepAxis axis;
    axis.key = trim(segment.substr(0, equals));
    const KeyRule& rule = rule_for(axis.key);
    if (!seen.insert(axis.key).second)
      throw Error("sweep grid: key '" + axis.key + "' is given twice");
    std::string values = trim(segment.substr(equals + 1));
    if (values.empty())
      throw Error("sweep grid: " + axis.key + ": empty value list (expected " + rule.key.expects +
                  ")");
    std::vector<std::string> items = split(values, ',');
    bool any_range = std::any_of(items.begin(), items.end(),
                                 [](const std::string& s) { return s.find("..") != s.npos; });
    if (any_range) {
      if (items.size() != 1)
        throw Error("sweep grid: " + axis.key + "=" + values +
                    ": a range cannot be mixed with a list of values");
      axis.range = parse_range(rule, items[0]);
    } else {
      for (const auto& item : items) axis.values.push_back(parse_value(rule, item));
    }
    spec.axes.push_back(std::move(axis));
  }
  if (spec.axes.empty())
    throw Error("sweep grid: the spec is empty; expected KEY=VALUES;... with keys: " +
                known_keys_text());
  if (seen.count("alpha_equals_rank") && seen.count("alpha"))
    throw Error(
        "sweep grid: give either alpha (alpha=rank ties it) or alpha_equals_rank, not both");
  return spec;
}

std::vector<SweepPoint> expand_grid(const SweepSpec& spec, const SweepLimits& limits) {
  for (const auto& axis : spec.axes)
    if (axis.range)
      throw Error("sweep grid: " + axis.key + ": a range (" + format_double(axis.range->low) +
                  ".." + format_double(axis.range->high) +
                  ") needs random search; list the values for a grid");
  int64_t size = spec.grid_size();
  check_count(size, limits, "the grid");
  std::vector<SweepPoint> points;
  points.reserve(static_cast<size_t>(size));
  std::vector<size_t> index(spec.axes.size(), 0);
  for (int64_t n = 0; n < size; ++n) {
    std::vector<std::pair<std::string, SweepValue>> raw;
    for (size_t a = 0; a < spec.axes.size(); ++a)
      raw.emplace_back(spec.axes[a].key, spec.axes[a].values[index[a]]);
    points.push_back(finish_point(std::move(raw)));
    for (size_t a = spec.axes.size(); a-- > 0;) {  // odometer: the last axis turns fastest
      if (++index[a] < spec.axes[a].values.size()) break;
      index[a] = 0;
    }
  }
  return points;
}

std::vector<SweepPoint> sample_random(const SweepSpec& spec, int64_t samples, uint64_t seed,
                                      const SweepLimits& limits) {
  if (samples < 1)
    throw Error("sweep grid: random search needs at least 1 sample, got " +
                std::to_string(samples));
  check_count(samples, limits, "the random search");
  SplitMix64 rng{seed};
  std::vector<SweepPoint> points;
  points.reserve(static_cast<size_t>(samples));
  for (int64_t n = 0; n < samples; ++n) {
    std::vector<std::pair<std::string, SweepValue>> raw;
    for (const auto& axis : spec.axes) raw.emplace_back(axis.key, draw(axis, rng));
    points.push_back(finish_point(std::move(raw)));
  }
  return points;
}

}  // namespace loralab
