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
#   - task-clock (CPU ms) and context switches per connection: `perf stat`
#     on the server (if perf is installed; without strace, which slows
#     everything down).
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
  server=$(cat /proc/$tpid/task/$tpid/children)
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
printf '%-22s %10s %10s %15s\n' "CPU us (perf, no strace)" \
  "$(cut -d' ' -f1 "$dir/handoff.perf")" "$(cut -d' ' -f1 "$dir/in-master.perf")" \
  "$(cut -d' ' -f1 "$dir/self-accepting.perf")"
printf '%-22s %10s %10s %15s\n' "context switches" \
  "$(cut -d' ' -f2 "$dir/handoff.perf")" "$(cut -d' ' -f2 "$dir/in-master.perf")" \
  "$(cut -d' ' -f2 "$dir/self-accepting.perf")"
