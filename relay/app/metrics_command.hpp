// `causeway metrics`: the metric families the relay declares, one "NAME TYPE" line each, so tools
// can check dashboards and alert rules against them (tests/deploy does) without a running relay.
#pragma once

#include <ostream>

namespace causeway::app {

// Writes engine::Metrics::families() to `out`. 0, or 1 when `out` failed (a closed pipe).
int run_metrics_command(std::ostream& out);

}  // namespace causeway::app
