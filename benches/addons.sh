#!/usr/bin/env bash
# The cost of a user's add-on: `firedrill search` over an Apache-style access log with
# and without a props.conf/transforms.conf app (EXTRACT- of five groups, REPORT-,
# FIELDALIAS-, EVAL-case(), TIME_FORMAT), beside sha256sum over the same bytes.
#
#   benches/addons.sh [MB] [FIREDRILL_BIN]
#
# Writes /tmp/firedrill-bench/access-<MB>MB.log (default 100) with awk (fixed seed,
# the same bytes every time) and the app to /tmp/firedrill-bench/TA-acme-web, then
# prints wall seconds and peak RSS of each run (/usr/bin/time -v). Nothing is built.
set -euo pipefail
mb="${1:-100}"
bin="${2:-$(dirname "$0")/../target/release/firedrill}"
dir=/tmp/firedrill-bench
log="$dir/access-${mb}MB.log"
app="$dir/TA-acme-web"
mkdir -p "$dir" "$app/default"
if [ ! -s "$log" ]; then
  awk -v bytes=$((mb * 1024 * 1024)) 'BEGIN {
    srand(7); split("/ /index.html /admin /admin/users /login /api/v1/items /static/app.js", p, " ");
    split("200 200 200 301 401 403 404 500", s, " ");
    split("curl/8.1|Mozilla/5.0 (X11; Linux x86_64)|python-requests/2.31", a, "|");
    n = 0;
    while (n < bytes) {
      line = sprintf("10.%d.%d.%d - user%d [05/Mar/2024:10:%02d:%02d +0000] \"GET %s HTTP/1.1\" %s %d \"%s\"",
        int(rand()*256), int(rand()*256), int(rand()*256), int(rand()*100), int(rand()*60), int(rand()*60),
        p[int(rand()*7)+1], s[int(rand()*8)+1], int(rand()*10000), a[int(rand()*3)+1]);
      print line; n += length(line) + 1;
    } }' > "$log"
fi
cat > "$app/default/props.conf" <<'CONF'
[acme:web]
TIME_PREFIX = \[
TIME_FORMAT = %d/%b/%Y:%H:%M:%S %z
EXTRACT-access = ^(?<src_ip>\S+) \S+ (?<user>\S+) \[[^\]]+\] "(?<method>\w+) (?<uri>\S+) [^"]*" (?<status>\d{3})
REPORT-agent = acme_agent
FIELDALIAS-src = src_ip AS src
EVAL-outcome = case(status>=500, "error", status>=400, "denied", true(), "ok")
CONF
printf '[acme_agent]\nREGEX = "(?<http_user_agent>[^"]+)"$\n' > "$app/default/transforms.conf"
cat "$log" > /dev/null
t() { # label, command...
  local label="$1"; shift
  /usr/bin/time -v "$@" > /dev/null 2> "$dir/time.txt" || true
  printf '%-22s %8s s %8s MiB\n' "$label" \
    "$(awk -F': ' '/Elapsed/ {split($2, x, ":"); print x[1]*60 + x[2]}' "$dir/time.txt")" \
    "$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}' "$dir/time.txt")"
}
echo "$(wc -l < "$log") events, $(stat -c %s "$log") bytes; $(nproc) cores"
t "sha256sum (floor)" sha256sum "$log"
t "search, no add-on" "$bin" search 'sourcetype=acme:web | stats count' "$log" --sourcetype acme:web --format csv
t "search, add-on" "$bin" search 'sourcetype=acme:web | stats count by outcome' "$log" --sourcetype acme:web --format csv --addons "$app"
