#!/usr/bin/env bash
# Builds the fuzz preset (clang-14, libFuzzer, ASan+UBSan) and runs libFuzzer targets for a
# while each; fails on any crash, timeout or out-of-memory and prints the reproducer.
#
# Usage: tests/fuzz/run.sh [--seconds N] [--build-only | --no-build] [TARGET...]
#   TARGET names tests/fuzz/TARGET_fuzz.cpp (default: all of them). N defaults to
#   $CAUSEWAY_FUZZ_SECONDS, else 30. Seeds are read from tests/fuzz/corpus/TARGET/ (committed);
#   inputs a run discovers go to build/fuzz/corpus-work/TARGET/ and crashes to
#   build/fuzz/artifacts/TARGET/, never into the repository.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="$root/build/fuzz"
seconds="${CAUSEWAY_FUZZ_SECONDS:-30}"
do_build=1
do_run=1
targets=()

usage() {
  sed -n '5,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while (($#)); do
  case "$1" in
    --seconds)
      [[ $# -ge 2 ]] || usage
      seconds="$2"
      shift 2
      ;;
    --build-only) do_run=0; shift ;;
    --no-build) do_build=0; shift ;;
    -*) usage ;;
    *) targets+=("${1%_fuzz}"); shift ;;
  esac
done
# libFuzzer reads -max_total_time=0 as "forever".
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -ge 1 ]] || { echo "run.sh: --seconds wants a whole number >= 1" >&2; exit 2; }

if ((${#targets[@]} == 0)); then
  for source in "$root"/tests/fuzz/*_fuzz.cpp; do
    [[ -e "$source" ]] || continue
    name="$(basename "$source" .cpp)"
    targets+=("${name%_fuzz}")
  done
fi
for target in "${targets[@]}"; do
  if [[ ! -f "$root/tests/fuzz/${target}_fuzz.cpp" ]]; then
    echo "run.sh: no fuzz target '$target' (tests/fuzz/${target}_fuzz.cpp)" >&2
    exit 2
  fi
done

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

if ((do_build)); then
  cd "$root"
  if [[ ! -f "$build_dir/build.ninja" ]]; then
    if ! cmake --preset fuzz >"$log" 2>&1; then
      cat "$log"
      echo "run.sh: configuring the fuzz preset failed" >&2
      exit 1
    fi
  fi
  if ! cmake --build --preset fuzz --target "${targets[@]/%/_fuzz}" >"$log" 2>&1; then
    cat "$log"
    echo "run.sh: building the fuzz targets failed" >&2
    exit 1
  fi
fi
((do_run)) || exit 0

status=0
for target in "${targets[@]}"; do
  exe="$build_dir/tests/fuzz/${target}_fuzz"
  if [[ ! -x "$exe" ]]; then
    echo "run.sh: $exe is not built (run without --no-build)" >&2
    status=1
    continue
  fi
  work="$build_dir/corpus-work/$target"
  artifacts="$build_dir/artifacts/$target"
  mkdir -p "$work" "$artifacts"
  # The first corpus directory receives new inputs, so the work directory goes first.
  corpora=("$work")
  [[ -d "$root/tests/fuzz/corpus/$target" ]] && corpora+=("$root/tests/fuzz/corpus/$target")
  if "$exe" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=25 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "${corpora[@]}" >"$log" 2>&1; then
    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
    echo "fuzz $target: ok, ${runs:-?} inputs in $seconds s"
  else
    status=1
    tail -n 60 "$log"
    reproducer="$(grep -o 'Test unit written to .*' "$log" | tail -n 1 | sed 's/^Test unit written to //' || true)"
    echo "fuzz $target: FAILED, reproducer: ${reproducer:-none written}"
    if [[ -n "$reproducer" ]]; then echo "  replay with: $exe $reproducer"; fi
  fi
done
exit "$status"
