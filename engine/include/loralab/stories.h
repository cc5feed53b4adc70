// Synthetic short stories in distinct styles: the bundled training corpora of the tiny story model
// and of its style adapters (train a fairy-tale adapter and a science-fiction adapter, then blend
// them). Stories are filled from hand-written templates, so every output is deterministic by seed
// on every platform, grammatical, 80-250 words long and full of its style's signature words.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace loralab {

// Someone a story mentions and may refer to by pronoun.
struct StoryCharacter {
  std::string role;     // "hero", "friend", "parent", ... (style-specific)
  std::string name;     // as written in the text: "Lily", "Mom", "Captain Flint"
  std::string pronoun;  // "he", "she" or "they"
};

struct Story {
  std::string text;
  std::string style;
  std::string plot;                   // the plot kind the story followed, e.g. "lost_pet"
  std::vector<StoryCharacter> cast;   // every character the text names, hero first
};

// Style names in a fixed order: everyday, fairy_tale, science_fiction, mystery, sea_adventure.
std::vector<std::string> story_styles();
bool is_story_style(const std::string& style);
// One line describing the style (for --help and the UI).
std::string story_style_description(const std::string& style);

// The same (style, seed) gives the same story everywhere. Throws loralab::Error for an unknown
// style, listing the known ones.
Story generate_story(const std::string& style, uint64_t seed);

// The seed of story `index` of a set generated with `seed`.
uint64_t story_seed(uint64_t seed, uint64_t index);

// `count` distinct stories: story i is generate_story(style, story_seed(seed, i)) unless that text
// already occurred in the set, in which case further derived seeds are tried. style "all" mixes
// every style in equal shares (each block of story_styles().size() stories holds one of each, in
// seeded order). Throws loralab::Error for an unknown style.
std::vector<Story> generate_stories(const std::string& style, size_t count, uint64_t seed);

// 15-30 words that mark a style: nearly every story of the style contains several of them and
// stories of other styles (almost) never contain any. Lower case.
const std::vector<std::string>& signature_words(const std::string& style);

// How many times the style's signature words occur in `text` as whole words, ignoring case; a
// plural "s"/"es" counts too ("clues" counts for "clue").
size_t count_signature_words(const std::string& text, const std::string& style);
// How many different signature words of the style occur in `text` (same matching).
size_t distinct_signature_words(const std::string& text, const std::string& style);

// log10 of a lower bound on how many different texts generate_story can produce for the style,
// computed from the template structure: for one fixed cast and plot, the number of distinct texts
// of each part of the story multiplied together (each part's texts made prefix-free, so different
// combinations are different stories). Computed once per style and cached.
double distinct_stories_log10(const std::string& style);

// Number of words in a text (runs of non-space characters).
size_t story_word_count(const std::string& text);

}  // namespace loralab
