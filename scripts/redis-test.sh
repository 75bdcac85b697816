#!/usr/bin/env bash
# A private, throw-away redis-server for tests and the demo.
#
#   scripts/redis-test.sh start [PORT] [DIR]   start (no-op if one answers on PORT)
#   scripts/redis-test.sh stop  [PORT] [DIR]   shut it down (no-op if none runs)
#
# PORT defaults to 6479, DIR (pidfile, log, working dir) to
# /tmp/impactd-redis-PORT.  Nothing is persisted: no RDB, no AOF.
set -euo pipefail

usage() {
        echo "usage: $0 start|stop [PORT] [DIR]" >&2
        exit 2
}

(($# >= 1 && $# <= 3)) || usage
action=$1
port=${2:-6479}
dir=${3:-/tmp/impactd-redis-$port}
[[ "$port" =~ ^[0-9]+$ ]] || usage
pidfile=$dir/redis.pid
logfile=$dir/redis.log

ping() {
        [[ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]]
}

# The pid from our pidfile, only if that process is still a redis-server:
# a stale pidfile must never make us signal an unrelated process.
our_pid() {
        local pid
        [[ -r "$pidfile" ]] || return 1
        pid=$(<"$pidfile")
        [[ "$pid" =~ ^[0-9]+$ ]] || return 1
        [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == redis-server* ]] || return 1
        echo "$pid"
}

# A zombie (exited, not yet reaped by init) counts as gone.
alive() {
        local state
        state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
        [[ -n "$state" && "$state" != Z ]]
}

start() {
        if ping; then
                echo "redis-test: already running on port $port" >&2
                return 0
        fi
        command -v redis-server >/dev/null || {
                echo "redis-test: redis-server not installed (run scripts/install-deps.sh)" >&2
                return 1
        }
        mkdir -p "$dir"
        # 32 databases: parallel test programs each use their own.
        redis-server --port "$port" --bind 127.0.0.1 --save '' \
                --databases 32 --appendonly no --daemonize yes --dir "$dir" \
                --pidfile "$pidfile" --logfile "$logfile"
        local i
        for ((i = 0; i < 100; i++)); do
                if ping; then
                        echo "redis-test: redis-server on 127.0.0.1:$port (dir $dir)" >&2
                        return 0
                fi
                sleep 0.1
        done
        echo "redis-test: redis-server did not answer on port $port within 10 s" >&2
        tail -n 20 "$logfile" >&2 2>/dev/null || true
        return 1
}

stop() {
        local pid i
        pid=$(our_pid || true)
        timeout 5 redis-cli -h 127.0.0.1 -p "$port" shutdown nosave \
                >/dev/null 2>&1 || true
        if [[ -n "$pid" ]]; then
                for ((i = 0; i < 50; i++)); do
                        alive "$pid" || break
                        sleep 0.1
                done
                if alive "$pid"; then
                        echo "redis-test: shutdown did not stop pid $pid; killing it" >&2
                        kill "$pid" 2>/dev/null || true
                        sleep 1
                        if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
                fi
        fi
        rm -f "$pidfile"
        if ping; then
                echo "redis-test: something still answers on port $port" >&2
                return 1
        fi
        return 0
}

case "$action" in
start) start ;;
stop) stop ;;
*) usage ;;
esac
