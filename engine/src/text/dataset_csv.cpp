// CSV column reader (RFC 4180): a header row, comma-separated fields, quoted fields that may hold
// commas, newlines and doubled quotes. A quote inside an unquoted field is kept as a character
// (common in hand-written files); text after a closing quote, an unclosed quote and a record with
// the wrong number of fields are errors naming the line.
#include <algorithm>

#include "dataset_internal.h"
#include "loralab/error.h"

namespace loralab::dataset_detail {
namespace {

struct Record {
  std::vector<std::string> fields;
  size_t line = 0;  // where the record starts
};

// Splits normalised text (LF only) into records; blank lines between records are skipped.
std::vector<Record> split_records(std::string_view text, const std::string& path) {
  std::vector<Record> records;
  size_t line = 1;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const size_t line_end = std::min(text.find('\n', i), n);
    if (is_blank(text.substr(i, line_end - i))) {  // an empty or whitespace-only line is no record
      ++line;
      i = line_end + 1;
      continue;
    }
    Record record;
    record.line = line;
    while (true) {
      std::string field;
      if (i < n && text[i] == '"') {
        const size_t opened_on = line;
        ++i;
        while (true) {
          if (i >= n) {
            throw Error(path + ":" + std::to_string(opened_on) + ": quoted field " +
                        std::to_string(record.fields.size() + 1) +
                        " is never closed (unterminated quote)");
          }
          const char c = text[i++];
          if (c == '"') {
            if (i < n && text[i] == '"') {
              field.push_back('"');
              ++i;
            } else {
              break;
            }
          } else {
            if (c == '\n') ++line;
            field.push_back(c);
          }
        }
        if (i < n && text[i] != ',' && text[i] != '\n') {
          throw Error(path + ":" + std::to_string(line) + ": unexpected character '" +
                      std::string(1, text[i]) + "' after the closing quote of field " +
                      std::to_string(record.fields.size() + 1) + " (expected a comma or a line end)");
        }
      } else {
        while (i < n && text[i] != ',' && text[i] != '\n') field.push_back(text[i++]);
      }
      record.fields.push_back(std::move(field));
      if (i < n && text[i] == ',') {
        ++i;
        continue;
      }
      break;  // end of line or of text
    }
    if (i < n) {  // consume the record's line break
      ++line;
      ++i;
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace

std::vector<Example> parse_csv_column(std::string_view raw, const std::string& path,
                                      const std::string& column) {
  const std::string text = normalize_newlines(raw);
  const std::vector<Record> records = split_records(text, path);
  if (records.empty()) throw Error(path + ": empty CSV file, expected a header row");
  const Record& header = records.front();
  size_t column_index = header.fields.size();
  std::string present;
  for (size_t c = 0; c < header.fields.size(); ++c) {
    const std::string_view name = trim(header.fields[c]);
    present += (c ? ", \"" : "\"") + std::string(name) + "\"";
    if (name != column) continue;
    if (column_index != header.fields.size()) {
      throw Error(path + ":" + std::to_string(header.line) + ": column \"" + column +
                  "\" appears more than once in the header");
    }
    column_index = c;
  }
  if (column_index == header.fields.size()) {
    throw Error(path + ":" + std::to_string(header.line) + ": no column \"" + column +
                "\" in the header; columns present: " + present);
  }
  std::vector<Example> examples;
  for (size_t r = 1; r < records.size(); ++r) {
    const Record& record = records[r];
    if (record.fields.size() != header.fields.size()) {
      throw Error(path + ":" + std::to_string(record.line) + ": record has " +
                  std::to_string(record.fields.size()) + " fields, the header has " +
                  std::to_string(header.fields.size()));
    }
    const std::string& value = record.fields[column_index];
    if (!is_blank(value)) examples.push_back({value, "", path + ":" + std::to_string(record.line)});
  }
  return examples;
}

}  // namespace loralab::dataset_detail
