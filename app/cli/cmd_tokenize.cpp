// `loralab-cli tokenize`: token ids of each string in a JSON file, with the model's tokenizer.
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "loralab/error.h"
#include "loralab/tokenizer.h"

namespace loralab::cli {
namespace {

std::vector<std::string> read_texts(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("--texts-json " + path + ": cannot open for reading");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(buffer.str());
  } catch (const nlohmann::json::parse_error& error) {
    throw Error(path + ": not valid JSON: " + error.what());
  }
  if (!document.is_array())
    throw Error(path + ": expected a JSON array of strings, found " + document.type_name());
  std::vector<std::string> texts;
  texts.reserve(document.size());
  for (size_t i = 0; i < document.size(); ++i) {
    if (!document[i].is_string())
      throw Error(path + ": [" + std::to_string(i) + "]: expected a string, found " +
                  document[i].type_name());
    texts.push_back(document[i].get<std::string>());
  }
  return texts;
}

int run_tokenize(const std::vector<std::string>& argv) {
  Args args(argv, {"special"});
  args.reject_unknown({"tokenizer", "texts-json", "special"});
  const std::string tokenizer_path = args.required("tokenizer");
  const std::vector<std::string> texts = read_texts(args.required("texts-json"));
  const Tokenizer tokenizer = Tokenizer::load(tokenizer_path);
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& text : texts) out.push_back(tokenizer.encode(text, args.has("special")));
  std::cout << out.dump() << "\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "tokenize",
    {"token ids of strings (JSON array of arrays)",
     "usage: loralab-cli tokenize --tokenizer PATH --texts-json FILE [--special]\n"
     "PATH is a tokenizer.json, or a folder with tokenizer.json or vocab.json + merges.txt.\n"
     "FILE holds a JSON array of strings; prints one array of token ids per string.\n"
     "--special adds the tokenizer's BOS/EOS (its post-processor template when it has one).",
     run_tokenize});

}  // namespace
}  // namespace loralab::cli
