// Pre-tokenizer steps; see pretokenize.h. Semantics follow Hugging Face tokenizers: each step
// applies to every piece the previous step produced.
#include "text/pretokenize.h"

#include "loralab/error.h"
#include "text/json_access.h"

namespace loralab::text {

const char* const kGpt2SplitPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

namespace {

constexpr const char* kBehaviorNames[] = {"Removed", "Isolated", "MergedWithPrevious",
                                          "MergedWithNext", "Contiguous"};

std::shared_ptr<const Regex> gpt2_regex() {
  static const auto regex =
      std::make_shared<const Regex>(kGpt2SplitPattern, false, "ByteLevel split pattern");
  return regex;
}

struct Range {
  size_t begin, end;
  bool is_match;
};

// Cuts `piece` by the regex's matches and appends the pieces the behaviour keeps.
void split_piece(std::string_view piece, const PreTokenizerStep& step,
                 std::vector<std::string_view>& out) {
  std::vector<Range> ranges;
  size_t last = 0;
  step.regex->for_each_match(piece, [&](size_t begin, size_t end) {
    if (begin > last) ranges.push_back({last, begin, false});
    ranges.push_back({begin, end, true});
    last = end;
  });
  if (last < piece.size()) ranges.push_back({last, piece.size(), false});

  std::vector<Range> kept;
  switch (step.behavior) {
    case SplitBehavior::Isolated:
      kept = ranges;
      break;
    case SplitBehavior::Removed:
      for (const Range& r : ranges)
        if (!r.is_match) kept.push_back(r);
      break;
    case SplitBehavior::Contiguous:
      for (const Range& r : ranges) {
        if (r.is_match && !kept.empty() && kept.back().is_match)
          kept.back().end = r.end;
        else
          kept.push_back(r);
      }
      break;
    case SplitBehavior::MergedWithPrevious: {
      bool previous_match = false;
      for (const Range& r : ranges) {
        if (r.is_match && !previous_match && !kept.empty())
          kept.back().end = r.end;
        else
          kept.push_back(r);
        previous_match = r.is_match;
      }
      break;
    }
    case SplitBehavior::MergedWithNext: {
      bool previous_match = false;
      for (const Range& r : ranges) {
        if (!r.is_match && previous_match)  // the delimiter before it joins this piece
          kept.back() = {kept.back().begin, r.end, false};
        else
          kept.push_back(r);
        previous_match = r.is_match;
      }
      break;
    }
  }
  for (const Range& r : kept)
    if (r.end > r.begin) out.push_back(piece.substr(r.begin, r.end - r.begin));
}

PreTokenizerStep parse_split(const JsonAt& node) {
  PreTokenizerStep step;
  step.kind = PreTokenizerStep::Kind::Split;
  if (node.boolean_or("invert", false))
    throw Error(node.where() + ".invert: true is not supported (only false)");
  const JsonAt pattern = node.at("pattern");
  if (pattern.has("Regex")) {
    step.regex = std::make_shared<const Regex>(pattern.at("Regex").string(), false,
                                               pattern.where() + ".Regex");
  } else if (pattern.has("String")) {
    step.regex = std::make_shared<const Regex>(pattern.at("String").string(), true,
                                               pattern.where() + ".String");
  } else {
    pattern.fail("an object with \"Regex\" or \"String\"");
  }
  const std::string behavior = node.at("behavior").string();
  bool known = false;
  for (size_t i = 0; i < std::size(kBehaviorNames); ++i)
    if (behavior == kBehaviorNames[i]) {
      step.behavior = static_cast<SplitBehavior>(i);
      known = true;
    }
  if (!known)
    throw Error(node.where() + ".behavior: expected Removed, Isolated, MergedWithPrevious, "
                "MergedWithNext or Contiguous, found " + behavior);
  return step;
}

PreTokenizerStep parse_byte_level(const JsonAt& node) {
  PreTokenizerStep step;
  step.kind = PreTokenizerStep::Kind::ByteLevel;
  // Hugging Face requires add_prefix_space and trim_offsets; use_regex defaults to true.
  step.add_prefix_space = node.at("add_prefix_space").boolean();
  step.trim_offsets = node.boolean_or("trim_offsets", true);
  step.use_regex = node.boolean_or("use_regex", true);
  if (step.use_regex) step.regex = gpt2_regex();
  return step;
}

void parse_into(const JsonAt& node, std::vector<PreTokenizerStep>& steps) {
  if (!node.node.is_object()) node.fail("an object with a \"type\"");
  const std::string type = node.at("type").string();
  if (type == "Sequence") {
    const JsonAt list = node.at("pretokenizers");
    if (!list.node.is_array()) list.fail("an array");
    for (size_t i = 0; i < list.node.size(); ++i) parse_into(list.element(i), steps);
  } else if (type == "Split") {
    steps.push_back(parse_split(node));
  } else if (type == "Digits") {
    PreTokenizerStep step;
    step.kind = PreTokenizerStep::Kind::Digits;
    step.individual_digits = node.boolean_or("individual_digits", false);
    step.regex = std::make_shared<const Regex>(R"(\p{N})", false, node.where());
    step.behavior = step.individual_digits ? SplitBehavior::Isolated : SplitBehavior::Contiguous;
    steps.push_back(step);
  } else if (type == "ByteLevel") {
    steps.push_back(parse_byte_level(node));
  } else {
    throw Error(node.where() + ": pre-tokenizer type " + type +
                " is not supported (supported: ByteLevel, Split, Digits, Sequence)");
  }
}

}  // namespace

PreTokenizer PreTokenizer::from_json(const nlohmann::json& node, const std::string& where) {
  const JsonAt at{node, where, "pre_tokenizer"};
  if (node.is_null())
    throw Error(at.where() + ": missing; byte-level BPE needs a ByteLevel pre-tokenizer");
  PreTokenizer result;
  parse_into(at, result.steps_);
  size_t byte_levels = 0;
  for (const auto& step : result.steps_)
    byte_levels += step.kind == PreTokenizerStep::Kind::ByteLevel;
  if (byte_levels != 1 || result.steps_.back().kind != PreTokenizerStep::Kind::ByteLevel)
    throw Error(at.where() + ": expected exactly one ByteLevel pre-tokenizer, as the last step "
                "(found " + std::to_string(byte_levels) + ")");
  return result;
}

PreTokenizer PreTokenizer::gpt2() {
  PreTokenizer result;
  PreTokenizerStep step;
  step.kind = PreTokenizerStep::Kind::ByteLevel;
  step.regex = gpt2_regex();
  result.steps_.push_back(step);
  return result;
}

nlohmann::ordered_json PreTokenizer::to_json() const {
  std::vector<nlohmann::ordered_json> nodes;
  for (const auto& step : steps_) {
    nlohmann::ordered_json node;
    if (step.kind == PreTokenizerStep::Kind::Digits) {
      node["type"] = "Digits";
      node["individual_digits"] = step.individual_digits;
    } else if (step.kind == PreTokenizerStep::Kind::Split) {
      node["type"] = "Split";
      node["pattern"][step.regex->literal() ? "String" : "Regex"] = step.regex->pattern();
      node["behavior"] = kBehaviorNames[static_cast<int>(step.behavior)];
      node["invert"] = false;
    } else {
      node["type"] = "ByteLevel";
      node["add_prefix_space"] = step.add_prefix_space;
      node["trim_offsets"] = step.trim_offsets;
      node["use_regex"] = step.use_regex;
    }
    nodes.push_back(std::move(node));
  }
  if (nodes.size() == 1) return nodes[0];
  nlohmann::ordered_json sequence;
  sequence["type"] = "Sequence";
  sequence["pretokenizers"] = nodes;
  return sequence;
}

void PreTokenizer::split(std::string_view text, std::deque<std::string>& storage,
                         std::vector<std::string_view>& words) const {
  if (text.empty()) return;
  std::vector<std::string_view> pieces{text}, next;
  for (const auto& step : steps_) {
    next.clear();
    for (std::string_view piece : pieces) {
      if (step.kind == PreTokenizerStep::Kind::ByteLevel && step.add_prefix_space &&
          piece.front() != ' ') {
        storage.push_back(" " + std::string(piece));
        piece = storage.back();
      }
      if (step.regex)
        split_piece(piece, step, next);
      else
        next.push_back(piece);
    }
    pieces.swap(next);
  }
  words.insert(words.end(), pieces.begin(), pieces.end());
}

}  // namespace loralab::text
