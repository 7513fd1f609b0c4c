#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# handoff_trace: where a server of //examples:handoff_load spends its
# system calls and context switches per connection (issue 16).
#
#   bazel run -c opt //examples:handoff_trace [-- N]      (N default 200)
#
# For each server — handoff (prefork_server --workers 4), in-master
# (prefork_server --workers 0), self-accepting-prefork
# (self_accepting_server --workers 4) — it starts the server pinned to the
# last CPU, runs the example client pinned to the first CPU for N and then
# 2N sequential connections of 10 wrapped requests, and takes the
# difference of the two runs divided by N, so that start-up and shutdown
# cancel out:
#   - system calls per connection by name: `strace -f -c` on the server
#     (master and workers);
#   - CPU time and context switches per connection of the master and of
#     the workers apart, from /proc/PID/schedstat (time on CPU, ns) and
#     /proc/PID/status (voluntary_ctxt_switches, nonvoluntary_...), read
#     just before SIGTERM, in runs without strace (which slows everything
#     down);
#   - the same totals from `perf stat -e task-clock,context-switches`, if
#     perf is installed.
# Needs strace; the server gets SIGTERM at the end of each run.
set -eu
N=${1:-200}
here=$0.runfiles/gssx/examples
[ -d "$here" ] || here=$(dirname "$0")
gssx=$here/../gssx/gssx_tool
dir=$(mktemp -d /tmp/handoff-trace-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$gssx" keygen --name demo@localhost --keytab "$dir/server.keytab" --trust "$dir/client.trust" >/dev/null 2>&1
"$gssx" keygen --name alice --keytab "$dir/client.keytab" --trust "$dir/server.trust" >/dev/null 2>&1
last=$(($(nproc) - 1))

# run TRACER OUT CONNECTIONS SERVER ARGS...: the server under TRACER
# (writing OUT), CONNECTIONS client connections, SIGTERM, wait.
run() {
  tracer=$1 out=$2 n=$3
  shift 3
  rm -f "$dir/port"
  case $tracer in
    strace) taskset -c "$last" strace -f -c -o "$out" "$@" \
              --keytab "$dir/server.keytab" --trust "$dir/server.trust" \
              --port_fd 3 3>"$dir/port" 2>/dev/null & ;;
    plain) taskset -c "$last" "$@" --keytab "$dir/server.keytab" \
              --trust "$dir/server.trust" --port_fd 3 3>"$dir/port" 2>/dev/null & ;;
    perf) taskset -c "$last" perf stat -x, -e task-clock,context-switches -o "$out" \
              "$@" --keytab "$dir/server.keytab" --trust "$dir/server.trust" \
              --port_fd 3 3>"$dir/port" 2>/dev/null & ;;
  esac
  tpid=$!
  i=0
  while [ ! -s "$dir/port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
  port=$(cat "$dir/port")
  taskset -c 0 "$here/client" --connect "127.0.0.1:$port" --keytab "$dir/client.keytab" \
    --trust "$dir/client.trust" --connections "$n" --requests 10 >/dev/null 2>&1
  if [ "$tracer" = plain ]; then
    server=$tpid
    # master: CPU ns, voluntary, involuntary switches; then the workers' sums
    procstat() {
      cpu=0 v=0 iv=0
      for p in "$@"; do
        cpu=$((cpu + $(cut -d' ' -f1 /proc/$p/schedstat)))
        v=$((v + $(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/$p/status)))
        iv=$((iv + $(awk '/^nonvoluntary_ctxt_switches/ {print $2}' /proc/$p/status)))
      done
      echo "$cpu $v $iv"
    }
    workers=$(cat /proc/$server/task/$server/children)
    echo "$(procstat $server) $(procstat $workers)" >"$out"
  else
    server=$(cat /proc/$tpid/task/$tpid/children)
  fi
  kill -TERM $server
  wait $tpid || true
}

# strace -c output -> "syscall calls" lines
calls() { awk '$NF != "total" && $4 ~ /^[0-9]+$/ {print $NF, $4}' "$1" | sort; }

echo "handoff_trace: $N and $((2 * N)) sequential connections x 10 requests per server; per connection = difference / $N"
for kind in handoff in-master self-accepting; do
  case $kind in
    handoff) set -- "$here/prefork_server" --workers 4 ;;
    in-master) set -- "$here/prefork_server" --workers 0 ;;
    self-accepting) set -- "$here/self_accepting_server" --workers 4 ;;
  esac
  run strace "$dir/$kind.s1" "$N" "$@"
  run strace "$dir/$kind.s2" $((2 * N)) "$@"
  calls "$dir/$kind.s1" >"$dir/$kind.c1"
  calls "$dir/$kind.s2" >"$dir/$kind.c2"
  join -a 2 -e 0 -o 0,1.2,2.2 "$dir/$kind.c1" "$dir/$kind.c2" |
    awk -v n="$N" '{d = ($3 - $2) / n; if (d >= 0.05) printf "%s %.2f\n", $1, d}' \
    >"$dir/$kind.per"
  run plain "$dir/$kind.x1" "$N" "$@"
  run plain "$dir/$kind.x2" $((2 * N)) "$@"
  # per connection: master us, master switches (v+iv), workers us, workers switches
  paste -d' ' "$dir/$kind.x1" "$dir/$kind.x2" | awk -v n="$N" '{
    printf "%.0f %.2f %.0f %.2f\n", ($7 - $1) / n / 1000, ($8 + $9 - $2 - $3) / n,
      ($10 - $4) / n / 1000, ($11 + $12 - $5 - $6) / n}' >"$dir/$kind.x"
  if command -v perf >/dev/null 2>&1; then
    run perf "$dir/$kind.p1" "$N" "$@"
    run perf "$dir/$kind.p2" $((2 * N)) "$@"
    awk -F, -v n="$N" 'FNR == NR && $3 == "task-clock" {t1 = $1}
      FNR == NR && $3 == "context-switches" {c1 = $1}
      FNR != NR && $3 == "task-clock" {t2 = $1}
      FNR != NR && $3 == "context-switches" {c2 = $1}
      END {printf "%.0f %.2f\n", (t2 - t1) * 1000 / n, (c2 - c1) / n}' \
      "$dir/$kind.p1" "$dir/$kind.p2" >"$dir/$kind.perf"
  else
    echo "- -" >"$dir/$kind.perf"
  fi
done

printf '%-22s %10s %10s %15s\n' "per connection" handoff in-master self-accepting
cat "$dir/handoff.per" "$dir/in-master.per" "$dir/self-accepting.per" | awk '{print $1}' | sort -u |
  while read -r sc; do
    h=$(awk -v s="$sc" '$1 == s {print $2}' "$dir/handoff.per")
    m=$(awk -v s="$sc" '$1 == s {print $2}' "$dir/in-master.per")
    a=$(awk -v s="$sc" '$1 == s {print $2}' "$dir/self-accepting.per")
    printf '%-22s %10s %10s %15s\n' "$sc" "${h:-0}" "${m:-0}" "${a:-0}"
  done
for kind in handoff in-master self-accepting; do
  awk '{s += $2} END {printf "%.1f ", s}' "$dir/$kind.per"
done | awk '{printf "%-22s %10s %10s %15s\n", "system calls", $1, $2, $3}'
for f in 1 2 3 4; do
  case $f in
    1) label="master CPU us" ;;
    2) label="master ctx switches" ;;
    3) label="workers CPU us" ;;
    4) label="workers ctx switches" ;;
  esac
  printf '%-22s %10s %10s %15s\n' "$label" \
    "$(cut -d' ' -f$f "$dir/handoff.x")" "$(cut -d' ' -f$f "$dir/in-master.x")" \
    "$(cut -d' ' -f$f "$dir/self-accepting.x")"
done
printf '%-22s %10s %10s %15s\n' "CPU us (perf, no strace)" \
  "$(cut -d' ' -f1 "$dir/handoff.perf")" "$(cut -d' ' -f1 "$dir/in-master.perf")" \
  "$(cut -d' ' -f1 "$dir/self-accepting.perf")"
printf '%-22s %10s %10s %15s\n' "context switches" \
  "$(cut -d' ' -f2 "$dir/handoff.perf")" "$(cut -d' ' -f2 "$dir/in-master.perf")" \
  "$(cut -d' ' -f2 "$dir/self-accepting.perf")"
