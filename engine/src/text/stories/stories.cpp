// Public story-generator API (loralab/stories.h): style registry, seeding, casting, story sets,
// signature-word matching and the lower bound on distinct stories.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <mutex>
#include <unordered_set>

#include "loralab/error.h"
#include "loralab/stories.h"
#include "text/stories/story_grammar.h"

namespace loralab {
namespace {

using stories::StyleSpec;

constexpr size_t kEnumerationCap = 50000;  // texts per story part when counting
constexpr int kMaxRetriesPerStory = 1000;  // duplicates are rare; this only bounds the loop

std::string known_styles() {
  std::string list;
  for (const auto* style : stories::all_styles()) list += (list.empty() ? "" : ", ") + style->name;
  return list;
}

const StyleSpec& find_style(const std::string& name) {
  for (const auto* style : stories::all_styles())
    if (style->name == name) return *style;
  throw Error("unknown story style '" + name + "' (known styles: " + known_styles() + ")");
}

// Each role gets a random member whose name no earlier role took.
std::vector<const stories::CastMember*> pick_cast(const StyleSpec& style,
                                                 stories::StoryRandom* random) {
  std::vector<const stories::CastMember*> cast;
  std::vector<std::string> taken;
  for (const auto& role : style.roles) {
    std::vector<const stories::CastMember*> free;
    for (const auto& member : role.pool)
      if (std::find(taken.begin(), taken.end(), member.name) == taken.end()) free.push_back(&member);
    const auto* chosen = random ? free[random->below(free.size())] : free.front();
    taken.push_back(chosen->name);
    cast.push_back(chosen);
  }
  return cast;
}

const char* pronoun_of(stories::Gender gender) {
  switch (gender) {
    case stories::Gender::kMale: return "he";
    case stories::Gender::kFemale: return "she";
    case stories::Gender::kNeutral: return "they";
  }
  return "they";
}

std::vector<std::string> words_lower(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (size_t i = 0; i <= text.size(); ++i) {
    char c = i < text.size() ? text[i] : ' ';
    if (std::isalpha(static_cast<unsigned char>(c))) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  return words;
}

// The signature word a text word stands for (itself or its singular), or nullptr.
const std::string* signature_match(const std::string& word, const std::vector<std::string>& sig) {
  for (const auto& s : sig) {
    if (word == s) return &s;
    if (word.size() == s.size() + 1 && word.back() == 's' && word.compare(0, s.size(), s) == 0)
      return &s;
    if (word.size() == s.size() + 2 && word.compare(s.size(), 2, "es") == 0 &&
        word.compare(0, s.size(), s) == 0)
      return &s;
  }
  return nullptr;
}

// The bound for one plot and one skeleton, with the first cast and the first memoised choices.
double distinct_log10_for(const StyleSpec& style, const stories::Plot& plot,
                          const std::string& skeleton) {
  const auto cast = pick_cast(style, nullptr);
  stories::Expander expander(style, plot, cast, nullptr);
  double log10_total = 0;
  for (const auto& part : stories::split_template(skeleton)) {
    if (!part.is_token) {
      for (char c : part.text)
        if (c != ' ' && c != '\n')
          throw Error("story style " + style.name + ": the skeleton may only hold whitespace "
                      "between parts, found '" + part.text + "'");
      continue;
    }
    // An optional part counts as present: stories that have it are a subset of all stories.
    std::string token = part.text[0] == '?' ? part.text.substr(1) : part.text;
    std::vector<std::string> texts;
    for (auto& raw : expander.enumerate("{" + token + "}", kEnumerationCap))
      texts.push_back(stories::polish(raw));
    std::sort(texts.begin(), texts.end());
    texts.erase(std::unique(texts.begin(), texts.end()), texts.end());
    // Keep a prefix-free subset: then two stories that differ in this part differ as texts, no
    // matter what follows. A string that prefixes another also prefixes its sorted successor.
    size_t kept = 0;
    for (size_t i = 0; i < texts.size(); ++i)
      if (!texts[i].empty() && (i + 1 == texts.size() || texts[i + 1].rfind(texts[i], 0) != 0))
        ++kept;
    if (kept > 0) log10_total += std::log10(static_cast<double>(kept));
  }
  return log10_total;
}

// Each (plot, skeleton) pair gives a valid lower bound on its own; the largest one is kept.
double compute_distinct_log10(const StyleSpec& style) {
  double best = 0;
  for (const auto& plot : style.plots)
    for (const auto& skeleton : style.rules.at("story"))
      best = std::max(best, distinct_log10_for(style, plot, skeleton));
  return best;
}

}  // namespace

namespace stories {

const std::vector<const StyleSpec*>& all_styles() {
  static const std::vector<const StyleSpec*> styles = [] {
    std::vector<const StyleSpec*> list = {&everyday_style(), &fairy_tale_style(),
                                          &science_fiction_style(), &mystery_style(),
                                          &sea_adventure_style()};
    for (const auto* style : list) validate_style(*style);
    return list;
  }();
  return styles;
}

}  // namespace stories

std::vector<std::string> story_styles() {
  std::vector<std::string> names;
  for (const auto* style : stories::all_styles()) names.push_back(style->name);
  return names;
}

bool is_story_style(const std::string& style) {
  for (const auto* spec : stories::all_styles())
    if (spec->name == style) return true;
  return false;
}

std::string story_style_description(const std::string& style) {
  return find_style(style).description;
}

Story generate_story(const std::string& style_name, uint64_t seed) {
  const StyleSpec& style = find_style(style_name);
  stories::StoryRandom random(stories::mix_seed(seed, stories::fnv1a(style.name.c_str())));
  const auto& plot = style.plots[random.below(style.plots.size())];
  const auto cast = pick_cast(style, &random);
  stories::Expander expander(style, plot, cast, &random);
  const auto& skeletons = style.rules.at("story");
  Story story;
  story.text = stories::polish(expander.expand(skeletons[random.below(skeletons.size())]));
  story.style = style.name;
  story.plot = plot.name;
  for (size_t i = 0; i < style.roles.size(); ++i)
    if (expander.roles_used().count(style.roles[i].letter))
      story.cast.push_back({style.roles[i].name, cast[i]->name, pronoun_of(cast[i]->gender)});
  return story;
}

uint64_t story_seed(uint64_t seed, uint64_t index) { return stories::mix_seed(seed, index + 1); }

std::vector<Story> generate_stories(const std::string& style, size_t count, uint64_t seed) {
  const bool mixed = style == "all";
  if (!mixed) find_style(style);
  const auto styles = story_styles();
  std::vector<Story> out;
  out.reserve(count);
  std::unordered_set<std::string> seen;
  std::vector<size_t> order;
  for (size_t i = 0; i < count; ++i) {
    std::string this_style = style;
    if (mixed) {
      const size_t block = i / styles.size();
      if (i % styles.size() == 0) {
        // A seeded shuffle per block: equal shares, no fixed rhythm for the model to learn.
        order.resize(styles.size());
        for (size_t k = 0; k < order.size(); ++k) order[k] = k;
        stories::StoryRandom random(stories::mix_seed(seed ^ 0xA5A5A5A5ULL, block));
        for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[random.below(k)]);
      }
      this_style = styles[order[i % styles.size()]];
    }
    uint64_t story_seed_value = story_seed(seed, i);
    Story story = generate_story(this_style, story_seed_value);
    for (int retry = 1; !seen.insert(story.text).second; ++retry) {
      if (retry > kMaxRetriesPerStory)
        throw Error("story style " + this_style + ": cannot find a new story after " +
                    std::to_string(kMaxRetriesPerStory) + " tries");
      story = generate_story(this_style, stories::mix_seed(story_seed_value, retry));
    }
    out.push_back(std::move(story));
  }
  return out;
}

const std::vector<std::string>& signature_words(const std::string& style) {
  return find_style(style).signature;
}

size_t count_signature_words(const std::string& text, const std::string& style) {
  const auto& sig = signature_words(style);
  size_t count = 0;
  for (const auto& word : words_lower(text))
    if (signature_match(word, sig)) ++count;
  return count;
}

size_t distinct_signature_words(const std::string& text, const std::string& style) {
  const auto& sig = signature_words(style);
  std::unordered_set<const std::string*> found;
  for (const auto& word : words_lower(text))
    if (const auto* match = signature_match(word, sig)) found.insert(match);
  return found.size();
}

double distinct_stories_log10(const std::string& style_name) {
  const StyleSpec& style = find_style(style_name);
  static std::mutex mutex;
  static std::map<std::string, double> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(style.name);
  if (it == cache.end()) it = cache.emplace(style.name, compute_distinct_log10(style)).first;
  return it->second;
}

size_t story_word_count(const std::string& text) {
  size_t words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

}  // namespace loralab
