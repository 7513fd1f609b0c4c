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
#     down) and with 8 client processes at once (the server saturated, as
#     in handoff_load).
#   - the handoff server's system calls again with those 8 clients at once
#     (handoffs then queue behind busy workers: the pool's queued path).
# Needs strace; the server gets SIGTERM at the end of each run.
set -eu
N=${1:-200}
C=8  # concurrent clients of the /proc pass
[ $((N % C)) -eq 0 ] || { echo "N must be a multiple of $C" >&2; exit 2; }
here=$0.runfiles/gssx/examples
[ -d "$here" ] || here=$(dirname "$0")
gssx=$here/../gssx/tool/gssx_tool
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
    strace|strace8) taskset -c "$last" strace -f -c -o "$out" "$@" \
              --keytab "$dir/server.keytab" --trust "$dir/server.trust" \
              --port_fd 3 3>"$dir/port" 2>/dev/null & ;;
    plain) taskset -c "$last" "$@" --keytab "$dir/server.keytab" \
              --trust "$dir/server.trust" --port_fd 3 3>"$dir/port" 2>"$out.log" & ;;
  esac
  tpid=$!
  i=0
  while [ ! -s "$dir/port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
  port=$(cat "$dir/port")
  if [ "$tracer" != strace ]; then
    # the server is idle here: a snapshot of its processes before the load
    [ "$tracer" = plain ] && snapshot "$tpid" >"$out.before"
    cpids=""
    for c in $(seq "$C"); do
      taskset -c 0 "$here/client" --connect "127.0.0.1:$port" --keytab "$dir/client.keytab" \
        --trust "$dir/client.trust" --connections $((n / C)) --requests 10 >/dev/null &
      cpids="$cpids $!"
    done
    wait $cpids
  else
    taskset -c 0 "$here/client" --connect "127.0.0.1:$port" --keytab "$dir/client.keytab" \
      --trust "$dir/client.trust" --connections "$n" --requests 10 >/dev/null
  fi 2>&1
  if [ "$tracer" = plain ]; then
    server=$tpid
    snapshot "$server" >"$out.after"
    # per process: CPU ns, voluntary, involuntary switches during the load
    # (a process that was not there before counts from 0)
    awk -v m="$server" 'NR == FNR {c[$1] = $2; v[$1] = $3; i[$1] = $4; next}
      {k = ($1 == m) ? 0 : 1; C[k] += $2 - c[$1]; V[k] += $3 - v[$1]; I[k] += $4 - i[$1]}
      END {print C[0] + 0, V[0] + 0, I[0] + 0, C[1] + 0, V[1] + 0, I[1] + 0}' \
      "$out.before" "$out.after" >"$out"
  else
    server=$(cat /proc/$tpid/task/$tpid/children)
  fi
  kill -TERM $server
  wait $tpid || true
}

# "pid cpu_ns voluntary involuntary" for the master and each of its workers
snapshot() {
  for p in "$1" $(cat /proc/$1/task/$1/children); do
    echo "$p $(cut -d' ' -f1 /proc/$p/schedstat) $(awk '/^voluntary_ctxt_switches/ {v = $2}
      /^nonvoluntary_ctxt_switches/ {i = $2} END {print v, i}' /proc/$p/status)"
  done
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
  # per connection: master us, voluntary, involuntary switches; workers the same
  paste -d' ' "$dir/$kind.x1" "$dir/$kind.x2" | awk -v n="$N" '{
    printf "%.0f %.2f %.2f %.0f %.2f %.2f %.0f\n", ($7 - $1) / n / 1000, ($8 - $2) / n,
      ($9 - $3) / n, ($10 - $4) / n / 1000, ($11 - $5) / n, ($12 - $6) / n,
      ($7 - $1 + $10 - $4) / n / 1000}' >"$dir/$kind.x"
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
echo "with $C clients at once, from /proc (no strace):"
for f in 1 2 3 4 5 6 7; do
  case $f in
    1) label="master CPU us" ;;
    2) label="master vol. switches" ;;
    3) label="master invol. switches" ;;
    4) label="workers CPU us" ;;
    5) label="workers vol. switches" ;;
    6) label="workers invol. sw." ;;
    7) label="server CPU us" ;;
  esac
  printf '%-22s %10s %10s %15s\n' "$label" \
    "$(cut -d' ' -f$f "$dir/handoff.x")" "$(cut -d' ' -f$f "$dir/in-master.x")" \
    "$(cut -d' ' -f$f "$dir/self-accepting.x")"
done
# The handoff server's system calls with C clients at once (under strace,
# which slows the server down: handoffs queue behind busy workers more
# often than without it).
run strace8 "$dir/handoff.q1" "$N" "$here/prefork_server" --workers 4
run strace8 "$dir/handoff.q2" $((2 * N)) "$here/prefork_server" --workers 4
calls "$dir/handoff.q1" >"$dir/handoff.qc1"
calls "$dir/handoff.q2" >"$dir/handoff.qc2"
echo "handoff server, $C clients at once, system calls per connection (strace -f -c):"
join -a 2 -e 0 -o 0,1.2,2.2 "$dir/handoff.qc1" "$dir/handoff.qc2" |
  awk -v n="$N" '{d = ($3 - $2) / n; if (d >= 0.05) {printf "  %-20s %10.2f\n", $1, d; s += d}}
    END {printf "  %-20s %10.1f\n", "system calls", s}'
# The handoff server's own figure: the master's time to export and send
# one handoff (its statistics line, median over the 2N run).
printf '%-22s %10s\n' "master: export+send us" \
  "$(sed -n 's/.*handoff_us_median=\([0-9.]*\).*/\1/p' "$dir/handoff.x2.log" | tail -1)"
