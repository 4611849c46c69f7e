#!/usr/bin/env bash
# Whole-repository benchmark: every detection of security_content over a corpus.
#
#   benches/whole_repo.sh CORPUS [FIREDRILL_BIN]
#
# CORPUS is a firedrill data directory written by firedrill-corpus, e.g.
#   cargo build --release
#   target/release/firedrill-corpus --shared ../shared --out /work/corpus --scale 0.1
#   benches/whole_repo.sh /work/corpus
#
# It times, under /usr/bin/time -v,
#   1. the floor: sha256sum over the corpus's data files (the files in CORPUS/firedrill.lock);
#      coreutils' sha256sum does not use the CPU's SHA instructions, so where openssl is
#      installed `openssl dgst -sha256` (which does, as firedrill's own hashing does) is
#      timed too, as a second, faster floor,
#   2. firedrill run CONTENT --data CORPUS --offline --format json,
# after one untimed read of the files (both runs see a warm page cache), and prints
# for each: wall, user, sys (seconds), peak RSS (maximum resident set), bytes, MB/s,
# then the ratio and the run's summary (detections pass/fail/error/skip, datasets,
# events, events/s). No network is used; nothing is built.
#
# Environment:
#   SHARED       the shared directory (default: ../shared beside the repository)
#   CONTENT      the content tree (default: $SHARED/content/security_content_2024-10)
#   OUT          where the run's JSON, stderr and time reports are kept (default: a new
#                temporary directory, printed at the end)
#   EXTRA_ARGS   more arguments for `firedrill run` (word-split)
#   SKIP_FLOOR=1 do not run sha256sum
# FIREDRILL_BIN defaults to target/release/firedrill of this repository.
set -uo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
corpus="$(cd "$1" && pwd)" || { echo "whole_repo: no corpus at $1" >&2; exit 2; }
bin="${2:-$here/target/release/firedrill}"
shared="${SHARED:-$here/../shared}"
content="${CONTENT:-$shared/content/security_content_2024-10}"
out="${OUT:-$(mktemp -d /tmp/firedrill-whole-repo.XXXXXX)}"
mkdir -p "$out"

[ -x "$bin" ] || { echo "whole_repo: $bin is not an executable (cargo build --release?)" >&2; exit 2; }
[ -d "$content" ] || { echo "whole_repo: no content at $content (set SHARED or CONTENT)" >&2; exit 2; }
[ -f "$corpus/firedrill.lock" ] || { echo "whole_repo: $corpus/firedrill.lock is missing" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "whole_repo: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

# The data files: the lock's paths, resolved (a path with `//` is the same file).
files="$out/files.txt"
grep -v '^#' "$corpus/firedrill.lock" | cut -f1 | sed 's#//*#/#g' | sort -u |
  while IFS= read -r p; do [ -f "$corpus/$p" ] && printf '%s\n' "$corpus/$p"; done > "$files"
nfiles=$(wc -l < "$files")
bytes=$(tr '\n' '\0' < "$files" | xargs -0 stat -c %s | awk '{s+=$1} END {printf "%.0f", s}')
manifest_events=""
if [ -f "$corpus/firedrill-corpus.tsv" ]; then
  manifest_events=$(grep -v '^#' "$corpus/firedrill-corpus.tsv" | awk -F'\t' '{s+=$5} END {printf "%.0f", s}')
fi

# Warm the page cache so that both timed runs read from memory.
tr '\n' '\0' < "$files" | xargs -0 cat > /dev/null

# Fields of a `/usr/bin/time -v` report: wall seconds, user, sys, peak RSS (KiB).
time_fields() {
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
    /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident set size/ { r = $2 }
    END { printf "%.2f %.2f %.2f %d\n", w, u, s, r }' "$1"
}
row() { # name wall user sys rss_kib
  awk -v n="$1" -v w="$2" -v u="$3" -v s="$4" -v r="$5" -v b="$bytes" 'BEGIN {
    printf "%-22s %9.2f %9.2f %9.2f %12.1f %12.0f %9.1f\n", n, w, u, s, r / 1024, b, (w > 0 ? b / 1e6 / w : 0) }'
}

echo "corpus:    $corpus ($nfiles files, $bytes bytes${manifest_events:+, $manifest_events events per its manifest})"
echo "content:   $content"
echo "binary:    $bin"
echo "machine:   $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); load average $(cut -d' ' -f1-3 /proc/loadavg)"

floor=""
ossl=""
if [ "${SKIP_FLOOR:-0}" != 1 ]; then
  tr '\n' '\0' < "$files" > "$out/files.nul"
  /usr/bin/time -v -o "$out/sha256sum.time" xargs -0 sha256sum < "$out/files.nul" > "$out/sha256sum.txt"
  floor=$(time_fields "$out/sha256sum.time")
  if command -v openssl > /dev/null; then
    /usr/bin/time -v -o "$out/openssl.time" xargs -0 openssl dgst -sha256 < "$out/files.nul" > "$out/openssl.txt"
    ossl=$(time_fields "$out/openssl.time")
  fi
fi

# shellcheck disable=SC2086
/usr/bin/time -v -o "$out/firedrill.time" "$bin" run "$content" --data "$corpus" --offline --format json ${EXTRA_ARGS:-} \
  > "$out/run.json" 2> "$out/run.stderr"
status=$?
fd=$(time_fields "$out/firedrill.time")

echo
printf "%-22s %9s %9s %9s %12s %12s %9s\n" "" "wall s" "user s" "sys s" "peak RSS MiB" "bytes" "MB/s"
# shellcheck disable=SC2086
[ -n "$floor" ] && row "sha256sum (floor)" $floor
# shellcheck disable=SC2086
[ -n "$ossl" ] && row "openssl sha256 (floor)" $ossl
# shellcheck disable=SC2086
row "firedrill run" $fd
if [ -n "$floor" ]; then
  awk -v a="${fd%% *}" -v b="${floor%% *}" -v c="${ossl%% *}" 'BEGIN {
    if (b > 0) printf "ratio:     firedrill wall / sha256sum wall = %.1fx", a / b
    if (c > 0) printf "; / openssl sha256 wall = %.1fx", a / c
    print "" }'
fi

# The run's summary: the last "summary" object of the JSON report.
summary=$(sed -n '/"summary"/,/}/p' "$out/run.json")
get() { printf '%s\n' "$summary" | grep -o "\"$1\": *[0-9.]*" | head -1 | grep -o '[0-9.]*$'; }
if [ -n "$summary" ]; then
  events=$(get events)
  wall=${fd%% *}
  echo "run:       exit $status; $(get total) detections: $(get pass) pass, $(get fail) fail, $(get error) error, $(get skip) skip;" \
    "$(get datasets) datasets, $events events ($(awk -v e="$events" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0 ? e / w : 0) }') events/s of wall)"
  missing=$(grep -c 'is missing from the cache' "$out/run.json")
  [ "$missing" -gt 0 ] && echo "           $missing dataset reports say 'missing from the cache' (references the corpus does not hold)"
else
  echo "run:       exit $status; no JSON summary (see $out/run.stderr):"
  tail -5 "$out/run.stderr" | sed 's/^/           /'
fi
echo "kept:      $out (run.json, run.stderr, *.time)"
