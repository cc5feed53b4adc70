// The template grammar behind the story generator. A style is data: a cast of characters per role,
// named rules (lists of alternative templates) and plot kinds whose rules shadow the style's.
//
// Template tokens:
//   {rule}     a fresh random alternative of `rule` (plot rules first, then style rules)
//   {@rule}    the same, but chosen once per story and then repeated (a pet's kind, a ship's name)
//   {?token}   the token or nothing, with even odds (e.g. {?detail})
//   {H}        the name of the character in role H (one upper-case letter per role)
//   {H.he}     a pronoun or verb form agreeing with H: he him his hers himself was is has does
//              (He His ... capitalised; "was" becomes "were" for they, "is" "are", "has" "have")
//   {H:rule}   chosen once per story for H from `rule.m`, `rule.f` or `rule.n` by H's gender, or
//              from `rule` when there is no gendered variant (a princess / a prince)
// Templates never spell he/she/his/her literally (checked when the styles are loaded), so every
// pronoun in a story agrees with a character the story names.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "text/stories/story_random.h"

namespace loralab::stories {

enum class Gender { kMale, kFemale, kNeutral };

struct CastMember {
  std::string name;
  Gender gender;
};

struct Role {
  char letter;
  std::string name;  // "hero", "friend", ...
  std::vector<CastMember> pool;
};

using RuleMap = std::map<std::string, std::vector<std::string>>;

struct Plot {
  std::string name;
  RuleMap rules;
};

struct StyleSpec {
  std::string name;
  std::string description;
  std::vector<std::string> signature;
  std::vector<Role> roles;  // the first role is the hero
  RuleMap rules;            // must hold "story", the skeleton of beats
  std::vector<Plot> plots;
};

// One story's state while its templates are filled: the plot, the cast and the memoised choices.
// With a null random source every choice takes the first alternative (used to fix the memoised
// parts when counting).
class Expander {
 public:
  Expander(const StyleSpec& style, const Plot& plot, std::vector<const CastMember*> cast,
           StoryRandom* random);

  std::string expand(const std::string& text);
  // Every expansion of `text` (up to `cap`, a subset beyond it); memoised and character tokens
  // keep one fixed value, so the results can be combined with other parts of the same story.
  std::vector<std::string> enumerate(const std::string& text, size_t cap);

  const std::vector<std::string>& rule(const std::string& name) const;
  bool has_rule(const std::string& name) const;
  const std::set<char>& roles_used() const { return roles_used_; }
  const CastMember& member(char letter) const;

 private:
  std::string expand_token(const std::string& token);
  std::vector<std::string> enumerate_token(const std::string& token, size_t cap);
  std::string character_form(char letter, const std::string& form);
  std::string gendered_rule_name(char letter, const std::string& rule_name) const;
  size_t choose(size_t n);

  const StyleSpec& style_;
  const Plot& plot_;
  std::vector<const CastMember*> cast_;  // parallel to style_.roles
  StoryRandom* random_;
  std::map<std::string, std::string> memo_;
  std::set<char> roles_used_;
  int depth_ = 0;
};

// Splits a template into literal text and {tokens}; tokens are returned without braces.
struct TemplatePart {
  bool is_token;
  std::string text;
};
std::vector<TemplatePart> split_template(const std::string& text);

// Turns raw filled text into clean prose: single spaces, no space before punctuation, a/an by the
// next word's sound, capitals at sentence and quotation starts. Paragraphs ("\n\n") are kept.
std::string polish(const std::string& raw);
// "a" or "an" for the word that follows.
bool starts_with_vowel_sound(const std::string& word);

// Checks a style's data once when it is loaded: every referenced rule and role exists, braces are
// balanced, no template spells a gendered pronoun. Throws loralab::Error naming the rule.
void validate_style(const StyleSpec& style);

// The styles, in story_styles() order; validated on first use.
const std::vector<const StyleSpec*>& all_styles();
const StyleSpec& everyday_style();
const StyleSpec& fairy_tale_style();
const StyleSpec& science_fiction_style();
const StyleSpec& mystery_style();
const StyleSpec& sea_adventure_style();

}  // namespace loralab::stories
