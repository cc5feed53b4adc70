// loralab-cli subcommands. Each lives in its own cmd_*.cpp and registers itself with a
// CommandRegistrar; main.cpp dispatches. A command prints JSON on stdout and returns an exit code;
// it throws loralab::Error for anything the user must fix.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace loralab::cli {

struct Command {
  std::string summary;  // one line for `loralab-cli --help`
  std::string usage;    // full usage for `loralab-cli NAME --help`
  std::function<int(const std::vector<std::string>& args)> run;
};

std::map<std::string, Command>& command_registry();

struct CommandRegistrar {
  CommandRegistrar(const std::string& name, Command command) {
    command_registry()[name] = std::move(command);
  }
};

}  // namespace loralab::cli
