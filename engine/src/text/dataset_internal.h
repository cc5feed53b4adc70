// Shared pieces of the dataset readers (private to engine/src/text): loading a file as validated
// UTF-8 text, line bookkeeping and the per-format parsers that turn text into examples.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "loralab/dataset.h"

namespace loralab::dataset_detail {

// One file a dataset reads: where it is, and its name relative to the dataset (fingerprints).
struct DatasetFile {
  std::string path;
  std::string relative;
};

// Files of `spec` for the resolved format, in reading order. Throws when the path is missing, a
// folder holds no .txt file, or a file is given where a folder is expected (and vice versa).
std::vector<DatasetFile> list_dataset_files(const DatasetSpec& spec, const std::string& format);

// The whole file; throws naming the file when it is missing, a directory or unreadable.
std::string read_file_bytes(const std::string& path);

// Throws "<path>:<line>: invalid UTF-8 at byte offset <n> ..." at the first bad sequence.
void check_utf8(std::string_view bytes, const std::string& path);

// read_file_bytes + check_utf8, then the UTF-8 byte order mark (if any) removed.
std::string read_text_file(const std::string& path);

// CRLF and lone CR become LF, so line numbers agree with line_number_at().
std::string normalize_newlines(std::string_view text);
// 1-based line of `offset`, counting LF, CRLF and lone CR as one line break each.
size_t line_number_at(std::string_view bytes, size_t offset);

bool is_blank(std::string_view text);
std::string_view trim(std::string_view text);

// Parsers over already-loaded text (BOM removed). `path` is only used in sources and messages.
std::vector<Example> parse_txt_blocks(std::string_view text, const std::string& path);
std::vector<Example> parse_jsonl(std::string_view text, const std::string& path,
                                 const std::string& field);
std::vector<Example> parse_prompt_completion(std::string_view text, const std::string& path,
                                             const std::string& prompt_field,
                                             const std::string& completion_field);
std::vector<Example> parse_csv_column(std::string_view text, const std::string& path,
                                      const std::string& column);

// True when the first non-blank line of a JSONL file is an object holding both fields.
bool jsonl_starts_with_prompt_completion(const std::string& path, const std::string& prompt_field,
                                         const std::string& completion_field);

}  // namespace loralab::dataset_detail
