// Running `causeway verify` in-process for the per-family CLI tests: the exit code and everything
// it printed, stdout then stderr.
#pragma once

#include <sstream>
#include <string>

#include "relay/app/verify_command.hpp"

namespace causeway::test::verify_run {

struct Run {
  int code = -1;
  std::string out;
};

inline Run run(const app::VerifyOptions& options) {
  std::ostringstream out;
  std::ostringstream err;
  Run r;
  r.code = app::run_verify(options, app::Console{true, false}, out, err);
  r.out = out.str() + err.str();
  return r;
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace causeway::test::verify_run
