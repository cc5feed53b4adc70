// Filling story templates: rule lookup (plot before style), memoised choices, character names and
// pronouns, exhaustive enumeration for the distinct-story bound, and the load-time checks of a
// style's data.
#include <algorithm>
#include <array>
#include <cctype>

#include "loralab/error.h"
#include "text/stories/story_grammar.h"

namespace loralab::stories {
namespace {

constexpr int kMaxDepth = 24;  // rules nest a few levels; deeper means a rule refers to itself

bool is_role_letter(const std::string& token) {
  return !token.empty() && std::isupper(static_cast<unsigned char>(token[0])) &&
         (token.size() == 1 || token[1] == '.' || token[1] == ':');
}

std::string capitalise(std::string word) {
  if (!word.empty()) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
  return word;
}

// Gendered forms, indexed by Gender (male, female, neutral).
const std::map<std::string, std::array<const char*, 3>>& pronoun_forms() {
  static const std::map<std::string, std::array<const char*, 3>> forms = {
      {"he", {"he", "she", "they"}},
      {"him", {"him", "her", "them"}},
      {"his", {"his", "her", "their"}},
      {"hers", {"his", "hers", "theirs"}},
      {"himself", {"himself", "herself", "themselves"}},
      {"was", {"was", "was", "were"}},
      {"is", {"is", "is", "are"}},
      {"has", {"has", "has", "have"}},
      {"does", {"does", "does", "do"}},
  };
  return forms;
}

void append_product(std::vector<std::string>& prefixes, const std::vector<std::string>& options,
                    size_t cap) {
  std::vector<std::string> next;
  next.reserve(std::min(cap, prefixes.size() * options.size()));
  for (const auto& prefix : prefixes) {
    for (const auto& option : options) {
      if (next.size() >= cap) break;
      next.push_back(prefix + option);
    }
    if (next.size() >= cap) break;
  }
  prefixes = std::move(next);
}

}  // namespace

std::vector<TemplatePart> split_template(const std::string& text) {
  std::vector<TemplatePart> parts;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find('{', pos);
    if (open == std::string::npos) {
      parts.push_back({false, text.substr(pos)});
      break;
    }
    if (open > pos) parts.push_back({false, text.substr(pos, open - pos)});
    size_t close = text.find('}', open);
    if (close == std::string::npos) throw Error("story template: unclosed '{' in \"" + text + "\"");
    std::string token = text.substr(open + 1, close - open - 1);
    if (token.empty() || token.find('{') != std::string::npos)
      throw Error("story template: malformed token in \"" + text + "\"");
    parts.push_back({true, token});
    pos = close + 1;
  }
  return parts;
}

Expander::Expander(const StyleSpec& style, const Plot& plot, std::vector<const CastMember*> cast,
                   StoryRandom* random)
    : style_(style), plot_(plot), cast_(std::move(cast)), random_(random) {}

bool Expander::has_rule(const std::string& name) const {
  return plot_.rules.count(name) || style_.rules.count(name);
}

const std::vector<std::string>& Expander::rule(const std::string& name) const {
  if (auto it = plot_.rules.find(name); it != plot_.rules.end()) return it->second;
  if (auto it = style_.rules.find(name); it != style_.rules.end()) return it->second;
  throw Error("story style " + style_.name + ", plot " + plot_.name + ": no rule '" + name + "'");
}

const CastMember& Expander::member(char letter) const {
  for (size_t i = 0; i < style_.roles.size(); ++i)
    if (style_.roles[i].letter == letter) return *cast_.at(i);
  throw Error("story style " + style_.name + ": no role '" + std::string(1, letter) + "'");
}

size_t Expander::choose(size_t n) {
  return random_ ? static_cast<size_t>(random_->below(n)) : 0;
}

std::string Expander::gendered_rule_name(char letter, const std::string& rule_name) const {
  static const char* kSuffix[] = {".m", ".f", ".n"};
  std::string gendered = rule_name + kSuffix[static_cast<int>(member(letter).gender)];
  return has_rule(gendered) ? gendered : rule_name;
}

std::string Expander::character_form(char letter, const std::string& form) {
  const CastMember& who = member(letter);
  roles_used_.insert(letter);
  std::string lower = form;
  lower[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[0])));
  auto it = pronoun_forms().find(lower);
  if (it == pronoun_forms().end())
    throw Error("story style " + style_.name + ": unknown form '" + form + "'");
  std::string word = it->second[static_cast<int>(who.gender)];
  return form[0] != lower[0] ? capitalise(word) : word;
}

std::string Expander::expand(const std::string& text) {
  if (++depth_ > kMaxDepth) throw Error("story style " + style_.name + ": rules nest too deeply");
  std::string out;
  for (const auto& part : split_template(text))
    out += part.is_token ? expand_token(part.text) : part.text;
  --depth_;
  return out;
}

std::string Expander::expand_token(const std::string& token) {
  if (token[0] == '?') return choose(2) == 0 ? expand_token(token.substr(1)) : std::string();
  if (is_role_letter(token)) {
    const char letter = token[0];
    if (token.size() == 1) {
      roles_used_.insert(letter);
      return member(letter).name;
    }
    if (token[1] == '.') return character_form(letter, token.substr(2));
    // {H:rule}: once per story and character.
    roles_used_.insert(letter);
    auto [it, fresh] = memo_.try_emplace(token);
    if (fresh) {
      const auto& options = rule(gendered_rule_name(letter, token.substr(2)));
      it->second = expand(options[choose(options.size())]);
    }
    return it->second;
  }
  if (token[0] == '@') {
    auto found = memo_.find(token);
    if (found != memo_.end()) return found->second;
    const auto& options = rule(token.substr(1));
    std::string value = expand(options[choose(options.size())]);
    memo_[token] = value;
    return value;
  }
  const auto& options = rule(token);
  return expand(options[choose(options.size())]);
}

std::vector<std::string> Expander::enumerate(const std::string& text, size_t cap) {
  if (++depth_ > kMaxDepth) throw Error("story style " + style_.name + ": rules nest too deeply");
  std::vector<std::string> results{std::string()};
  for (const auto& part : split_template(text)) {
    if (!part.is_token) {
      for (auto& r : results) r += part.text;
      continue;
    }
    append_product(results, enumerate_token(part.text, cap), cap);
  }
  --depth_;
  return results;
}

std::vector<std::string> Expander::enumerate_token(const std::string& token, size_t cap) {
  if (token[0] == '?') {
    auto options = enumerate_token(token.substr(1), cap);
    if (options.size() >= cap) options.pop_back();
    options.push_back(std::string());
    return options;
  }
  if (is_role_letter(token) || token[0] == '@') return {expand_token(token)};
  std::vector<std::string> all;
  for (const auto& option : rule(token)) {
    for (auto& text : enumerate(option, cap - all.size())) all.push_back(std::move(text));
    if (all.size() >= cap) break;
  }
  return all;
}

void validate_style(const StyleSpec& style) {
  static const std::set<std::string> kGendered = {"he",  "she",  "him",     "his",
                                                  "her", "hers", "himself", "herself"};
  auto fail = [&](const std::string& where, const std::string& what) {
    throw Error("story style " + style.name + ", " + where + ": " + what);
  };
  if (style.roles.empty() || style.plots.empty()) fail("style", "needs roles and plots");
  if (style.signature.size() < 15 || style.signature.size() > 30)
    fail("signature", "expected 15-30 words, found " + std::to_string(style.signature.size()));
  std::set<char> letters;
  for (size_t i = 0; i < style.roles.size(); ++i) {
    const auto& role = style.roles[i];
    if (!letters.insert(role.letter).second) fail("role " + role.name, "letter used twice");
    // Enough members that the role still has a name after the earlier roles took theirs.
    if (role.pool.size() <= i) fail("role " + role.name, "pool too small");
  }
  auto check_rules = [&](const RuleMap& rules, const Plot& plot) {
    for (const auto& [name, options] : rules) {
      if (options.empty()) fail("rule " + name, "has no alternatives");
      for (const auto& option : options) {
        const std::string where = "plot " + plot.name + ", rule " + name + " (\"" + option + "\")";
        if (std::count(option.begin(), option.end(), '"') % 2 != 0)
          fail(where, "unbalanced quotation marks");
        for (const auto& part : split_template(option)) {
          if (!part.is_token) {
            if (part.text.find('}') != std::string::npos) fail(where, "stray '}'");
            std::string word;
            for (size_t i = 0; i <= part.text.size(); ++i) {
              char c = i < part.text.size() ? part.text[i] : ' ';
              if (std::isalpha(static_cast<unsigned char>(c))) {
                word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
              } else {
                if (kGendered.count(word)) fail(where, "spells the pronoun '" + word + "'");
                word.clear();
              }
            }
            continue;
          }
          std::string token = part.text[0] == '?' ? part.text.substr(1) : part.text;
          if (token.empty()) fail(where, "empty token");
          if (is_role_letter(token)) {
            if (!letters.count(token[0])) fail(where, "unknown role " + token.substr(0, 1));
            if (token.size() > 1 && token[1] == '.') {
              std::string form = token.substr(2);
              if (!form.empty()) form[0] = static_cast<char>(std::tolower(form[0]));
              if (!pronoun_forms().count(form)) fail(where, "unknown form " + token);
            }
            if (token.size() > 1 && token[1] == ':') {
              std::string base = token.substr(2);
              bool found = false;
              for (const char* suffix : {"", ".m", ".f", ".n"})
                found = found || plot.rules.count(base + suffix) || style.rules.count(base + suffix);
              if (!found) fail(where, "unknown rule " + base);
            }
            continue;
          }
          if (token[0] == '@') token = token.substr(1);
          if (!plot.rules.count(token) && !style.rules.count(token))
            fail(where, "unknown rule " + token);
        }
      }
    }
  };
  if (!style.rules.count("story")) fail("rules", "no 'story' rule");
  for (const auto& plot : style.plots) {
    check_rules(plot.rules, plot);
    check_rules(style.rules, plot);
  }
}

}  // namespace loralab::stories
