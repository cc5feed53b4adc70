// read_dataset: resolves the format, reads every file of the dataset through the per-format
// parser, and the dataset fingerprint over the same files.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "dataset_internal.h"
#include "loralab/error.h"
#include "loralab/hash.h"

namespace fs = std::filesystem;

namespace loralab {
namespace {

using namespace dataset_detail;

constexpr const char* kFormats[] = {"txt", "folder", "jsonl", "csv", "prompt-completion"};

std::string lower_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

std::string format_list() {
  std::string list = "auto";
  for (const char* f : kFormats) list += std::string("|") + f;
  return list;
}

// Text of one file already split into examples by the resolved format.
std::vector<Example> parse_file(const DatasetSpec& spec, const std::string& format,
                                const std::string& path) {
  const std::string text = read_text_file(path);
  if (format == "txt") return parse_txt_blocks(text, path);
  if (format == "folder") {
    if (!spec.one_example_per_file) return parse_txt_blocks(text, path);
    const std::string normalized = normalize_newlines(text);
    const std::string_view body = trim(normalized);
    if (body.empty()) return {};
    // The example starts at its first non-blank line.
    const size_t line = line_number_at(normalized, size_t(body.data() - normalized.data()));
    return {Example{std::string(body), "", path + ":" + std::to_string(line)}};
  }
  if (format == "jsonl") return parse_jsonl(text, path, spec.field);
  if (format == "csv") return parse_csv_column(text, path, spec.field);
  return parse_prompt_completion(text, path, spec.prompt_field, spec.completion_field);
}

}  // namespace

std::string resolve_dataset_format(const DatasetSpec& spec) {
  if (spec.format != "auto") {
    if (std::find(std::begin(kFormats), std::end(kFormats), spec.format) == std::end(kFormats)) {
      throw Error("dataset " + spec.path + ": unknown format \"" + spec.format + "\", expected " +
                  format_list());
    }
    return spec.format;
  }
  std::error_code ec;
  if (spec.path.empty()) throw Error("dataset path is empty");
  if (!fs::exists(spec.path, ec)) throw Error("dataset not found: " + spec.path);
  if (fs::is_directory(spec.path, ec)) return "folder";
  const std::string ext = lower_extension(spec.path);
  if (ext == ".txt") return "txt";
  if (ext == ".csv") return "csv";
  if (ext == ".jsonl" || ext == ".ndjson") {
    return jsonl_starts_with_prompt_completion(spec.path, spec.prompt_field, spec.completion_field)
               ? "prompt-completion"
               : "jsonl";
  }
  throw Error("dataset " + spec.path + ": cannot tell the format from the extension \"" + ext +
              "\" (known: .txt, .csv, .jsonl, .ndjson, or a folder); set the format to one of " +
              format_list());
}

std::vector<Example> read_dataset(const DatasetSpec& spec) {
  const std::string format = resolve_dataset_format(spec);
  std::vector<Example> examples;
  const auto files = list_dataset_files(spec, format);
  for (const DatasetFile& file : files) {
    auto part = parse_file(spec, format, file.path);
    examples.insert(examples.end(), std::make_move_iterator(part.begin()),
                    std::make_move_iterator(part.end()));
  }
  if (examples.empty()) {
    std::string what = format == "folder" ? "its " + std::to_string(files.size()) + " .txt file(s) are"
                                          : "the file is";
    throw Error("dataset " + spec.path + " (" + format + ") has no examples: " + what +
                " empty or every record is blank");
  }
  return examples;
}

std::vector<std::string> dataset_files(const DatasetSpec& spec) {
  std::vector<std::string> paths;
  for (const DatasetFile& file : list_dataset_files(spec, resolve_dataset_format(spec))) {
    paths.push_back(file.path);
  }
  return paths;
}

std::string dataset_fingerprint(const DatasetSpec& spec, const std::string& settings_json) {
  const std::string format = resolve_dataset_format(spec);
  Sha256 hasher;
  // NUL separators and explicit sizes keep the framing unambiguous (no two different inputs can
  // produce the same byte stream).
  auto field = [&](std::string_view name, std::string_view value) {
    hasher.update(name).update("\0", 1).update(std::to_string(value.size())).update("\0", 1);
    hasher.update(value);
  };
  field("loralab-dataset", "1");
  field("format", format);
  if (format == "jsonl" || format == "csv") field("field", spec.field);
  if (format == "prompt-completion") {
    field("prompt_field", spec.prompt_field);
    field("completion_field", spec.completion_field);
  }
  if (format == "folder") {
    field("recursive", spec.recursive ? "1" : "0");
    field("one_example_per_file", spec.one_example_per_file ? "1" : "0");
  }
  for (const DatasetFile& file : list_dataset_files(spec, format)) {
    field("file", file.relative);
    // The bytes are streamed: a size prefix then the content, without holding the file.
    std::error_code ec;
    const auto size = fs::file_size(file.path, ec);
    if (ec) throw Error("cannot read " + file.path + ": " + ec.message());
    hasher.update("bytes").update("\0", 1).update(std::to_string(size)).update("\0", 1);
    std::ifstream in(file.path, std::ios::binary);
    if (!in) throw Error("cannot open " + file.path + " for the dataset fingerprint");
    char chunk[1 << 16];
    uint64_t streamed = 0;
    while (in) {
      in.read(chunk, sizeof chunk);
      hasher.update(chunk, size_t(in.gcount()));
      streamed += uint64_t(in.gcount());
    }
    if (in.bad() || streamed != size) {
      throw Error("error while reading " + file.path + " for the dataset fingerprint (it changed "
                  "while being read?)");
    }
  }
  field("settings", settings_json);
  return hasher.hex_digest();
}

std::vector<Example> dataset_detail::parse_txt_blocks(std::string_view raw, const std::string& path) {
  const std::string text = normalize_newlines(raw);
  std::vector<Example> examples;
  size_t line = 0, block_line = 0;
  std::string block;
  auto flush = [&] {
    const std::string_view body = trim(block);
    if (!body.empty()) examples.push_back({std::string(body), "", path + ":" + std::to_string(block_line)});
    block.clear();
  };
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view current(text.data() + pos, end - pos);
    ++line;
    if (is_blank(current)) {
      flush();
    } else {
      if (block.empty()) block_line = line;
      else block.push_back('\n');
      block.append(current);
    }
    pos = end + 1;
  }
  flush();
  return examples;
}

}  // namespace loralab
