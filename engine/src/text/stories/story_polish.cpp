// Clean-up of filled templates: the slot filler joins pieces blindly (an empty optional part leaves
// two spaces, "a" meets "apple", a pronoun opens a sentence in lower case); this pass makes the
// prose read as written by hand, so the tiny model never learns the seams.
#include <cctype>
#include <string>
#include <vector>

#include "text/stories/story_grammar.h"

namespace loralab::stories {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
char upper(char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); }
char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Paragraphs are separated by a blank line; single line breaks are just spaces.
std::vector<std::string> split_paragraphs(const std::string& raw) {
  std::vector<std::string> paragraphs(1);
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n' && i + 1 < raw.size() && raw[i + 1] == '\n') {
      while (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
      paragraphs.emplace_back();
      continue;
    }
    paragraphs.back() += raw[i];
  }
  return paragraphs;
}

// One space between words, none before , . ! ? ; : or inside quotation marks.
std::string fix_spacing(const std::string& text) {
  std::string out;
  bool pending_space = false;
  bool in_quote = false;
  for (char c : text) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    const bool closing_quote = c == '"' && in_quote;
    const bool tight = c == ',' || c == '.' || c == '!' || c == '?' || c == ';' || c == ':' ||
                       closing_quote || (!out.empty() && out.back() == '"' && in_quote);
    if (pending_space && !tight) out += ' ';
    pending_space = false;
    out += c;
    if (c == '"') in_quote = !in_quote;
  }
  return out;
}

std::string fix_articles(const std::string& text) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start <= text.size()) {
    size_t space = text.find(' ', start);
    if (space == std::string::npos) space = text.size();
    words.push_back(text.substr(start, space - start));
    start = space + 1;
  }
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    std::string& word = words[i];
    const size_t quote = word.size() > 1 && word[0] == '"' ? 1 : 0;
    std::string bare = word.substr(quote);
    std::string lower_bare;
    for (char c : bare) lower_bare += lower(c);
    if (lower_bare != "a" && lower_bare != "an") continue;
    const std::string& next = words[i + 1];
    if (next.empty() || !is_alpha(next[0])) continue;
    std::string article = starts_with_vowel_sound(next) ? "an" : "a";
    if (std::isupper(static_cast<unsigned char>(bare[0]))) article[0] = 'A';
    word = word.substr(0, quote) + article;
  }
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) out += (i ? " " : "") + words[i];
  return out;
}

// Capitals at the start, after . ! ? and at the start of a quotation. After a closing quotation
// mark that follows ! or ? the sentence goes on ("Help!" she cried), after ." a new one starts.
// A quotation split by its attribution ("Go," she said, "and hurry.") goes on in lower case.
std::string fix_capitals(const std::string& text) {
  std::string out = text;
  bool capitalise = true;
  bool in_quote = false;
  bool attributed = false;  // a quotation ended with a comma earlier in this sentence
  for (size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    if (c == '"') {
      if (!in_quote) {
        size_t before = i;
        while (before > 0 && is_space(out[before - 1])) --before;
        capitalise = !(attributed && before > 0 && out[before - 1] == ',');
      } else {
        capitalise = i > 0 && out[i - 1] == '.';
        attributed = i > 0 && out[i - 1] == ',';
      }
      in_quote = !in_quote;
    } else if (c == '.' || c == '!' || c == '?') {
      capitalise = true;
      if (!in_quote) attributed = false;
    } else if (is_alpha(c)) {
      if (capitalise) out[i] = upper(c);
      capitalise = false;
    } else if (!is_space(c)) {
      capitalise = false;
    }
  }
  return out;
}

}  // namespace

bool starts_with_vowel_sound(const std::string& word) {
  std::string w;
  for (char c : word) {
    if (!is_alpha(c)) break;
    w += lower(c);
  }
  if (w.empty()) return false;
  // Vowel letters that sound like "y"/"w", and silent h.
  for (const char* prefix : {"uni", "use", "usu", "ute", "one", "once", "eu", "ewe"})
    if (w.rfind(prefix, 0) == 0) return false;
  for (const char* prefix : {"hour", "honest", "honor", "heir"})
    if (w.rfind(prefix, 0) == 0) return true;
  return w[0] == 'a' || w[0] == 'e' || w[0] == 'i' || w[0] == 'o' || w[0] == 'u';
}

std::string polish(const std::string& raw) {
  std::string out;
  for (const auto& paragraph : split_paragraphs(raw)) {
    std::string text = fix_capitals(fix_articles(fix_spacing(paragraph)));
    if (text.empty()) continue;
    if (!out.empty()) out += "\n\n";
    out += text;
  }
  return out;
}

}  // namespace loralab::stories
