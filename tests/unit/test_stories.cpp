// The synthetic story generator: determinism by seed, length, consistent names and pronouns,
// signature words that mark each style and no other, clean text (no template seams), distinct
// stories, the distinct-story bound and errors for bad input.
#include <QtTest>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "loralab/error.h"
#include "loralab/stories.h"

namespace {

constexpr uint64_t kSeed = 20240611;

std::vector<std::string> lower_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text + " ") {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      words.push_back(word);
      word.clear();
    }
  }
  return words;
}

// Stories exactly as generate_story makes them (no de-duplication), so duplicates would show.
std::vector<loralab::Story> raw_stories(const std::string& style, size_t count, uint64_t seed) {
  std::vector<loralab::Story> out;
  for (size_t i = 0; i < count; ++i)
    out.push_back(loralab::generate_story(style, loralab::story_seed(seed, i)));
  return out;
}

QString show(const loralab::Story& story) {
  return QString::fromStdString("[" + story.style + "/" + story.plot + "] " + story.text);
}

size_t occurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++count;
  return count;
}

// Everything that would betray a filled template, or plain bad writing; empty when clean.
std::string text_fault(const std::string& text) {
  static const std::vector<std::pair<std::regex, std::string>> kFaults = {
      {std::regex(R"([{}])"), "template brace"},
      {std::regex(R"(  )"), "double space"},
      {std::regex(R"( [,.!?;:])"), "space before punctuation"},
      {std::regex(R"([,;:][A-Za-z])"), "no space after comma"},
      {std::regex(R"(\b([A-Za-z]+) \1\b)", std::regex::icase), "word repeated"},
      {std::regex(R"(\b[Aa] (?!uni|use|usu|one|eu)[aeiouAEIOU])"), "'a' before a vowel"},
      {std::regex(R"(\b[Aa]n (?!hour|hon)[b-df-hj-np-tv-zB-DF-HJ-NP-TV-Z])"), "'an' before a consonant"},
      {std::regex(R"(\b(they|They) (was|is|has|does|wasn't)\b)"), "'they' with a singular verb"},
      {std::regex(R"(\b(he|she|He|She) (were|are|have|do)\b)"), "'he/she' with a plural verb"},
      {std::regex(R"([.!?] [a-z])"), "sentence starts in lower case"},
      {std::regex(R"(\.\" [a-z])"), "sentence after a quotation starts in lower case"},
      {std::regex(R"(\"\")"), "empty quotation"},
      {std::regex(R"(\" \")"), "two quotations in a row"},
      {std::regex(R"(\.\.|,,|,\.|\.,)"), "doubled punctuation"},
  };
  for (const auto& [pattern, what] : kFaults)
    if (std::regex_search(text, pattern)) return what;
  if (occurrences(text, "\"") % 2 != 0) return "unbalanced quotation marks";
  if (!std::isupper(static_cast<unsigned char>(text.front())) && text.front() != '"')
    return "story starts in lower case";
  if (!std::regex_search(text, std::regex(R"([.!?]\"?$)"))) return "story does not end a sentence";
  return {};
}

}  // namespace

class TestStories : public QObject {
  Q_OBJECT
 private slots:
  void styles_are_listed() {
    const auto styles = loralab::story_styles();
    const std::vector<std::string> expected = {"everyday", "fairy_tale", "science_fiction",
                                               "mystery", "sea_adventure"};
    QCOMPARE(styles.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      QCOMPARE(styles[i], expected[i]);
      QVERIFY(loralab::is_story_style(styles[i]));
      QVERIFY(!loralab::story_style_description(styles[i]).empty());
    }
    QVERIFY(!loralab::is_story_style("all"));
    QVERIFY(!loralab::is_story_style("Everyday"));
  }

  void same_seed_same_story() {
    for (const auto& style : loralab::story_styles()) {
      const auto a = loralab::generate_story(style, kSeed);
      const auto b = loralab::generate_story(style, kSeed);
      QCOMPARE(a.text, b.text);
      QCOMPARE(a.plot, b.plot);
      QCOMPARE(a.cast.size(), b.cast.size());
      QVERIFY(loralab::generate_story(style, kSeed + 1).text != a.text);
      QCOMPARE(a.style, style);
    }
    const auto set_a = loralab::generate_stories("mystery", 25, 99);
    const auto set_b = loralab::generate_stories("mystery", 25, 99);
    const auto set_c = loralab::generate_stories("mystery", 25, 100);
    QCOMPARE(set_a.size(), size_t(25));
    for (size_t i = 0; i < set_a.size(); ++i) QCOMPARE(set_a[i].text, set_b[i].text);
    QVERIFY(set_a[0].text != set_c[0].text);
    // Story i of a set is the story of the derived seed.
    QCOMPARE(set_a[3].text, loralab::generate_story("mystery", loralab::story_seed(99, 3)).text);
  }

  void known_story_is_stable() {
    // Pins the seed derivation and one story's start, so the bundled corpora cannot change
    // silently (other platforms, other standard libraries, refactorings). Edit on purpose only.
    QCOMPARE(loralab::story_seed(1, 0), uint64_t(14502941707026977078ULL));
    QVERIFY(loralab::story_seed(1, 0) != loralab::story_seed(1, 1));
    QVERIFY(loralab::story_seed(1, 0) != loralab::story_seed(2, 0));
    const auto story = loralab::generate_story("everyday", 1);
    QCOMPARE(story.plot, std::string("show_and_tell"));
    QCOMPARE(story.text.substr(0, story.text.find('.') + 1),
             std::string("Ruby was six years old, and she loved singing silly songs more than "
                         "anything."));
  }

  void stories_are_80_to_250_words() {
    for (const auto& style : loralab::story_styles()) {
      size_t total = 0;
      for (const auto& story : raw_stories(style, 400, kSeed)) {
        const size_t words = loralab::story_word_count(story.text);
        QVERIFY2(words >= 80 && words <= 250,
                 qPrintable(QString("%1 words: %2").arg(words).arg(show(story))));
        total += words;
      }
      const double mean = double(total) / 400;
      QVERIFY2(mean > 110 && mean < 220, qPrintable(QString("mean %1").arg(mean)));
    }
  }

  void names_and_pronouns_agree() {
    static const std::set<std::string> kMale = {"he", "him", "his", "himself"};
    static const std::set<std::string> kFemale = {"she", "her", "hers", "herself"};
    size_t checked_without_male = 0, checked_without_female = 0;
    for (const auto& style : loralab::story_styles()) {
      for (const auto& story : raw_stories(style, 400, kSeed + 7)) {
        QVERIFY2(!story.cast.empty(), qPrintable(show(story)));
        // The hero comes first and is named at least twice; everyone in the cast is named.
        QVERIFY2(occurrences(story.text, story.cast[0].name) >= 2, qPrintable(show(story)));
        std::set<std::string> pronouns;
        for (const auto& who : story.cast) {
          QVERIFY2(story.text.find(who.name) != std::string::npos, qPrintable(show(story)));
          QVERIFY(who.pronoun == "he" || who.pronoun == "she" || who.pronoun == "they");
          pronouns.insert(who.pronoun);
        }
        // A gendered pronoun always has someone of that gender in the story to refer to.
        bool male = false, female = false;
        for (const auto& word : lower_words(story.text)) {
          male = male || kMale.count(word);
          female = female || kFemale.count(word);
        }
        if (!pronouns.count("he")) {
          ++checked_without_male;
          QVERIFY2(!male, qPrintable("'he' with no male character: " + show(story)));
        }
        if (!pronouns.count("she")) {
          ++checked_without_female;
          QVERIFY2(!female, qPrintable("'she' with no female character: " + show(story)));
        }
      }
    }
    // The checks above must have had cases to bite on.
    QVERIFY(checked_without_male > 100);
    QVERIFY(checked_without_female > 100);
  }

  void signature_words_mark_their_style() {
    const auto styles = loralab::story_styles();
    std::map<std::string, std::vector<loralab::Story>> samples;
    for (const auto& style : styles) samples[style] = raw_stories(style, 300, kSeed + 11);
    for (const auto& style : styles) {
      const auto& words = loralab::signature_words(style);
      QVERIFY(words.size() >= 15 && words.size() <= 30);
      for (const auto& word : words)
        for (char c : word) QVERIFY(std::islower(static_cast<unsigned char>(c)));
      for (const auto& other : styles) {
        size_t containing = 0;
        for (const auto& story : samples[other])
          if (loralab::count_signature_words(story.text, style) > 0) ++containing;
        const double rate = double(containing) / samples[other].size();
        if (other == style) {
          QVERIFY2(rate >= 0.95, qPrintable(QString::fromStdString(style) + " own rate " +
                                            QString::number(rate)));
          size_t rich = 0;
          for (const auto& story : samples[other])
            if (loralab::distinct_signature_words(story.text, style) >= 2) ++rich;
          QVERIFY2(rich >= 0.95 * samples[other].size(), qPrintable(QString::number(rich)));
        } else {
          QVERIFY2(rate <= 0.02, qPrintable(QString::fromStdString(style + " words in " + other) +
                                            " stories: " + QString::number(rate)));
        }
      }
    }
  }

  void signature_matching() {
    QCOMPARE(loralab::count_signature_words("The detective found two Clues. Case closed!",
                                            "mystery"),
             size_t(3));
    QCOMPARE(loralab::distinct_signature_words("A dragon, two dragons and a castle.",
                                               "fairy_tale"),
             size_t(2));
    // Whole words only: "shipment" is not "ship", "spaces" is "space".
    QCOMPARE(loralab::count_signature_words("A shipment arrived.", "sea_adventure"), size_t(0));
    QCOMPARE(loralab::count_signature_words("Two spaces.", "science_fiction"), size_t(1));
  }

  void text_is_clean() {
    for (const auto& style : loralab::story_styles()) {
      for (const auto& story : raw_stories(style, 1000, kSeed + 3)) {
        const std::string fault = text_fault(story.text);
        QVERIFY2(fault.empty(), qPrintable(QString::fromStdString(fault) + ": " + show(story)));
      }
    }
  }

  void text_checker_catches_faults() {
    // The checker above must be able to fail.
    QVERIFY(!text_fault("She saw a apple.").empty());
    QVERIFY(!text_fault("She saw an dog.").empty());
    QVERIFY(!text_fault("Tom ran to {place}.").empty());
    QVERIFY(!text_fault("Tom ran  home.").empty());
    QVERIFY(!text_fault("Tom ran home. he was tired.").empty());
    QVERIFY(!text_fault("They was happy.").empty());
    QVERIFY(!text_fault("Tom saw the the dog.").empty());
    QVERIFY(!text_fault("\"Hi,\" said Tom").empty());
    QVERIFY(text_fault("Tom saw an owl and a unicorn. \"Wow!\" he said.").empty());
  }

  void stories_are_distinct() {
    for (const auto& style : loralab::story_styles()) {
      std::set<std::string> texts;
      std::set<std::string> openings;
      std::set<std::string> plots;
      for (const auto& story : raw_stories(style, 2000, kSeed + 5)) {
        QVERIFY2(texts.insert(story.text).second, qPrintable("duplicate: " + show(story)));
        openings.insert(story.text.substr(0, story.text.find('.')));
        plots.insert(story.plot);
      }
      QVERIFY2(openings.size() > 200, qPrintable(QString::number(openings.size())));
      QVERIFY(plots.size() >= 6);
    }
  }

  void distinct_story_bound() {
    for (const auto& style : loralab::story_styles()) {
      const double log10_count = loralab::distinct_stories_log10(style);
      QVERIFY2(log10_count >= 8.0, qPrintable(QString::fromStdString(style) + ": 10^" +
                                              QString::number(log10_count)));
      QCOMPARE(loralab::distinct_stories_log10(style), log10_count);  // cached, stable
    }
  }

  void mixed_styles() {
    const auto mixed = loralab::generate_stories("all", 20, 3);
    QCOMPARE(mixed.size(), size_t(20));
    std::map<std::string, int> per_style;
    std::set<std::string> texts;
    for (const auto& story : mixed) {
      ++per_style[story.style];
      texts.insert(story.text);
    }
    QCOMPARE(per_style.size(), size_t(5));
    for (const auto& [style, count] : per_style) QCOMPARE(count, 4);
    QCOMPARE(texts.size(), size_t(20));
    QCOMPARE(loralab::generate_stories("all", 20, 3)[7].text, mixed[7].text);
  }

  void bad_input() {
    auto message = [](auto fn) {
      try {
        fn();
      } catch (const loralab::Error& e) {
        return QString(e.what());
      }
      return QString();
    };
    const QString unknown = message([] { loralab::generate_story("western", 1); });
    QVERIFY2(unknown.contains("western") && unknown.contains("fairy_tale") &&
                 unknown.contains("sea_adventure"),
             qPrintable(unknown));
    QVERIFY(message([] { loralab::generate_stories("western", 3, 1); }).contains("western"));
    QVERIFY(message([] { loralab::signature_words(""); }).contains("known styles"));
    QVERIFY(message([] { loralab::distinct_stories_log10("all"); }).contains("all"));
    QVERIFY(message([] { loralab::count_signature_words("x", "nope"); }).contains("nope"));
    QVERIFY(message([] { loralab::story_style_description("nope"); }).contains("nope"));
    QVERIFY(loralab::generate_stories("everyday", 0, 1).empty());
  }
};

QTEST_APPLESS_MAIN(TestStories)
#include "test_stories.moc"
