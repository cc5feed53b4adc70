// loralab-cli: headless entry point. Dispatches to subcommands (cmd_*.cpp), turns engine errors
// into one line on stderr and a non-zero exit status.
#include <exception>
#include <iostream>

#include "bundled.h"
#include "commands.h"
#include "loralab/error.h"
#include "loralab/runtime.h"

namespace loralab::cli {

std::map<std::string, Command>& command_registry() {
  static std::map<std::string, Command> registry;
  return registry;
}

namespace {

void print_help(std::ostream& out) {
  out << "usage: loralab-cli COMMAND [options]\n\ncommands:\n";
  for (const auto& [name, command] : command_registry())
    out << "  " << name << std::string(name.size() < 12 ? 12 - name.size() : 1, ' ')
        << command.summary << "\n";
  out << "\n`loralab-cli COMMAND --help` shows a command's options.\n";
}

}  // namespace
}  // namespace loralab::cli

int main(int argc, char** argv) {
  using namespace loralab::cli;
  loralab::reexec_with_fast_blas_kernels(argv);
  loralab::keep_freed_memory_for_reuse();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_help(args.empty() ? std::cerr : std::cout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::cout << "loralab-cli " << loralab::engine_version() << " (LibTorch "
              << loralab::libtorch_version() << ", BLAS kernels "
              << (loralab::blas_core_name().empty() ? "not OpenBLAS" : loralab::blas_core_name())
              << ")\n";
    return 0;
  }
  auto& registry = command_registry();
  auto it = registry.find(args[0]);
  if (it == registry.end()) {
    std::cerr << "loralab-cli: unknown command '" << args[0] << "'; commands:";
    for (const auto& [name, _] : registry) std::cerr << " " << name;
    std::cerr << "\n";
    return 2;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  for (const auto& a : rest)
    if (a == "--help" || a == "-h") {
      std::cout << it->second.usage << "\n";
      return 0;
    }
  try {
    expand_bundled_args(args[0], rest);  // --model bundled, --data bundled:STYLE, ...
    loralab::set_compute_threads(0);
    return it->second.run(rest);
  } catch (const loralab::Error& error) {
    std::cerr << "loralab-cli " << args[0] << ": " << error.what() << "\n";
    return 1;
  } catch (const std::exception& error) {
    std::cerr << "loralab-cli " << args[0] << ": internal error: " << error.what() << "\n";
    return 3;
  }
}
