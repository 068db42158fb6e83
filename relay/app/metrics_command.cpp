// `causeway metrics` (see metrics_command.hpp).
#include "relay/app/metrics_command.hpp"

#include "relay/engine/metrics.hpp"

namespace causeway::app {

int run_metrics_command(std::ostream& out) {
  // A registry like the daemon's, built the same way, so the list is the one /metrics draws from.
  const engine::Metrics metrics;
  for (const auto& family : metrics.families()) out << family.name << ' ' << family.type << '\n';
  out.flush();
  return out ? 0 : 1;
}

}  // namespace causeway::app
