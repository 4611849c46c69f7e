#!/usr/bin/env bash
# Windows-log comparison: firedrill beside two Sigma hunters on the same EVTX files.
#
#   benches/hunters.sh
#
# Builds an input directory of every EVTX file under $SHARED/samples, copied COPIES
# times (by default as many times as makes about $RECORDS = 86,000 records; the
# record counts come from $SHARED/samples/MANIFEST.txt), prints the record count, then
# runs each tool RUNS (3) times over the same files and prints, per tool: the median
# wall time, the median peak RSS (maximum resident set, from /usr/bin/time -v),
# events/s, the number of rules, and events x rules per second.
#
#   firedrill   FIREDRILL_BIN (default target/release/firedrill of this repository):
#               firedrill run CONTENT --dataset F1 --dataset F2 ... --format json
#               (every detection over the given files; a binary without `run --dataset`
#               is reported and skipped). Rules = detections run (not skipped).
#   hayabusa    when HAYABUSA names its binary: hayabusa csv-timeline -d DIR -o CSV -w -C -K -q
#               with its full rule set (-w: no wizard, every level; HAYABUSA_RULES
#               names the rules directory, passed as -r; HAYABUSA_ARGS adds options,
#               e.g. "-A -D -n -u" for channel-filter-free, deprecated, noisy and
#               unsupported rules too). It runs in HAYABUSA_HOME (default: the binary's
#               directory), where hayabusa finds config/ and rules/. Rules = those
#               enabled after hayabusa's channel filter (it prints the total loaded too).
#   chainsaw    when CHAINSAW names its binary: chainsaw hunt DIR -s CHAINSAW_SIGMA
#               --mapping CHAINSAW_MAPPING [-r CHAINSAW_RULES] --json -o OUT
#               (CHAINSAW_ARGS adds options).
#
# Nothing is built or downloaded here: the hunters are binaries you provide.
#
# Environment: SHARED (default ../shared beside the repository), CONTENT (default
# $SHARED/content/security_content_2024-10), RECORDS, COPIES, RUNS, WORK (kept input
# and outputs; default a new temporary directory, printed), KEEP_INPUT=0 to delete
# the copied EVTX files at the end.
set -uo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED:-$here/../shared}"
samples="$shared/samples"
content="${CONTENT:-$shared/content/security_content_2024-10}"
bin="${FIREDRILL_BIN:-$here/target/release/firedrill}"
records_wanted="${RECORDS:-86000}"
runs="${RUNS:-3}"
work="${WORK:-$(mktemp -d /tmp/firedrill-hunters.XXXXXX)}"
mkdir -p "$work"

[ -x /usr/bin/time ] || { echo "hunters: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
[ -f "$samples/MANIFEST.txt" ] || { echo "hunters: $samples/MANIFEST.txt not found (set SHARED)" >&2; exit 2; }

# EVTX files and their record counts ("contents=EVTX (...), N records" in the manifest).
mapfile -t evtx < <(cd "$samples" && find . -type f -name '*.evtx' | sed 's#^\./##' | LC_ALL=C sort)
[ "${#evtx[@]}" -gt 0 ] || { echo "hunters: no EVTX files under $samples" >&2; exit 2; }
per_copy=0
for f in "${evtx[@]}"; do
  n=$(awk -v f="$f" '
    /^[^ ]/ { cur = $0 }
    cur == f && /contents=EVTX/ { if (match($0, /[0-9]+ records/)) { print substr($0, RSTART, RLENGTH - 8); exit } }' \
    "$samples/MANIFEST.txt")
  [ -n "$n" ] || { echo "hunters: no record count for $f in MANIFEST.txt" >&2; exit 2; }
  per_copy=$((per_copy + n))
done
copies="${COPIES:-$(( (records_wanted + per_copy / 2) / per_copy ))}"
[ "$copies" -ge 1 ] || copies=1
records=$((per_copy * copies))

input="$work/evtx"
rm -rf "$input"
datasets=()
for ((c = 1; c <= copies; c++)); do
  for f in "${evtx[@]}"; do
    dst="$input/$(printf 'copy%03d' "$c")/${f// /_}"
    mkdir -p "$(dirname "$dst")"
    cp "$samples/$f" "$dst"
    datasets+=(--dataset "$dst")
  done
done
bytes=$(du -sb "$input" | cut -f1)
echo "input:     $input: ${#evtx[@]} EVTX files x $copies copies = $((${#evtx[@]} * copies)) files, $bytes bytes, $records records"
echo "machine:   $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); load average $(cut -d' ' -f1-3 /proc/loadavg)"

# wall seconds, peak RSS (KiB), exit status and CPU seconds (user + sys) of a
# /usr/bin/time -v report
time_fields() {
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
    /Maximum resident set size/ { r = $2 }
    /Exit status/ { x = $2 }
    /User time/ { u = $2 } /System time/ { s = $2 }
    END { printf "%.2f %d %s %.2f\n", w, r, x, u + s }' "$1"
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

results=()
# measure NAME RULES_FN DIR -- command...: runs the command RUNS times in DIR, each
# argument's "{run}" replaced by the run's number; records median wall and RSS.
measure() {
  local name="$1" rules_fn="$2" dir="$3"
  shift 4
  local walls=() rss=() cpus=() status="" r w k x c a
  for ((r = 1; r <= runs; r++)); do
    local cmd=()
    for a in "$@"; do cmd+=("${a//\{run\}/$r}"); done
    (cd "$dir" && /usr/bin/time -v -o "$work/$name.$r.time" "${cmd[@]}" > "$work/$name.$r.out" 2> "$work/$name.$r.err")
    read -r w k x c < <(time_fields "$work/$name.$r.time")
    walls+=("$w"); rss+=("$k"); cpus+=("$c"); status="$status${status:+,}$x"
    echo "  $name run $r: wall ${w}s, CPU ${c}s, peak RSS $((k / 1024)) MiB, exit $x"
  done
  results+=("$name|$(printf '%s\n' "${walls[@]}" | median)|$(printf '%s\n' "${cpus[@]}" | median)|$(printf '%s\n' "${rss[@]}" | median)|$("$rules_fn" "$work/$name.1.out" "$work/$name.1.err")|$status")
}

firedrill_rules() { # detections that ran (total - skipped), from the JSON summary
  local s t k
  s=$(sed -n '/"summary"/,/}/p' "$1")
  t=$(printf '%s' "$s" | grep -o '"total": *[0-9]*' | grep -o '[0-9]*$')
  k=$(printf '%s' "$s" | grep -o '"skip": *[0-9]*' | grep -o '[0-9]*$')
  [ -n "$t" ] && echo $((t - ${k:-0}))
}
plain() { sed 's/\x1b\[[0-9;]*m//g' "$@"; } # without colour codes (hayabusa writes some even with -K)
# hayabusa: the rules enabled after its channel filter (those that meet the events),
# else all it loaded
hayabusa_rules() {
  local n
  n=$(plain "$1" "$2" | grep -o 'Detection rules enabled after channel filter: [0-9,]*' | head -1 | grep -o '[0-9,]*$' | tr -d ,)
  [ -n "$n" ] || n=$(plain "$1" "$2" | grep -o 'Total detection rules: [0-9,]*' | head -1 | grep -o '[0-9,]*$' | tr -d ,)
  echo "$n"
}
chainsaw_rules() { plain "$1" "$2" | grep -o 'Loaded [0-9,]* detection rules' | head -1 | grep -o '[0-9][0-9,]*' | tr -d ,; }

echo
if [ ! -x "$bin" ]; then
  echo "firedrill: $bin is not an executable (cargo build --release?); skipped"
elif ! "$bin" run --help 2>&1 | grep -q -- '--dataset'; then
  echo "firedrill: $bin has no \`run --dataset FILE\` (today's main has only \`explain DETECTION --dataset FILE\`, one detection); skipped"
else
  echo "firedrill: $bin run $content --dataset ... (${#evtx[@]}x$copies files) --format json"
  measure firedrill firedrill_rules "$work" -- "$bin" run "$content" "${datasets[@]}" --format json
  s=$(sed -n '/"summary"/,/}/p' "$work/firedrill.1.out")
  echo "  firedrill summary: $(printf '%s' "$s" | tr -d '\n ' | sed 's/"summary"://')"
fi

if [ -n "${HAYABUSA:-}" ]; then
  hhome="${HAYABUSA_HOME:-$(dirname "$HAYABUSA")}"
  hargs=(csv-timeline -d "$input" -w -C -K -q)
  [ -n "${HAYABUSA_RULES:-}" ] && hargs+=(-r "$HAYABUSA_RULES")
  # shellcheck disable=SC2206
  hargs+=(${HAYABUSA_ARGS:-})
  echo "hayabusa:  (in $hhome) $HAYABUSA ${hargs[*]} -o $work/hayabusa.{run}.csv"
  measure hayabusa hayabusa_rules "$hhome" -- "$HAYABUSA" "${hargs[@]}" -o "$work/hayabusa.{run}.csv"
  plain "$work/hayabusa.1.out" | grep -E 'Total detection rules|enabled after channel filter|Total events' | sed 's/^/  hayabusa: /'
else
  echo "hayabusa:  HAYABUSA not set; skipped"
fi

if [ -n "${CHAINSAW:-}" ]; then
  if [ -z "${CHAINSAW_SIGMA:-}" ] || [ -z "${CHAINSAW_MAPPING:-}" ]; then
    echo "chainsaw:  CHAINSAW_SIGMA and CHAINSAW_MAPPING must name the Sigma rules and the mapping file; skipped"
  else
    cargs=(hunt "$input" -s "$CHAINSAW_SIGMA" --mapping "$CHAINSAW_MAPPING" --json)
    [ -n "${CHAINSAW_RULES:-}" ] && cargs+=(-r "$CHAINSAW_RULES")
    # shellcheck disable=SC2206
    cargs+=(${CHAINSAW_ARGS:-})
    echo "chainsaw:  $CHAINSAW ${cargs[*]} -o $work/chainsaw.{run}.json"
    measure chainsaw chainsaw_rules "$work" -- "$CHAINSAW" "${cargs[@]}" -o "$work/chainsaw.{run}.json"
  fi
else
  echo "chainsaw:  CHAINSAW not set; skipped"
fi

echo
printf "%-10s %13s %12s %14s %10s %10s %8s %15s  %s\n" tool "median wall s" "median CPU s" "median RSS MiB" events "events/s" rules "events*rules/s" "exit codes"
for line in "${results[@]}"; do
  IFS='|' read -r name w c k n x <<< "$line"
  awk -v name="$name" -v w="$w" -v c="$c" -v k="$k" -v e="$records" -v n="$n" -v x="$x" 'BEGIN {
    eps = (w > 0 ? e / w : 0)
    erps = (n ~ /^[0-9]+$/ && w > 0) ? sprintf("%.3g", e * n / w) : "?"
    printf "%-10s %13.2f %12.2f %14.1f %10d %10.0f %8s %15s  %s\n", name, w, c, k / 1024, e, eps, n, erps, x }'
done
echo "events = the input's $records EVTX records (the same files for every tool); events/s and"
echo "events*rules/s are of median wall; CPU = user + sys (both cores count)"
echo "kept:      $work (each run's .time, .out, .err and output)"
[ "${KEEP_INPUT:-1}" = 0 ] && rm -rf "$input"
exit 0
