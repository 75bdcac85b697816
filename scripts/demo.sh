#!/usr/bin/env bash
# README command 1: the whole pipeline on one machine.
#
# Installs what is missing, builds impactd, starts a private Redis and the
# worker with its embedded Kafka mock cluster, replays a sample payments
# outage (scripts/sample/payments-outage.jsonl) in stages so that scored
# revisions and escalations show up as they happen, then prints the
# escalations and the final scored revision.  Everything it started is
# stopped on exit; the exit status is non-zero if any step failed.
#
# The sample happened on 2026-11-18.  The worker runs on the sample's own
# clock (IMPACTD_CLOCK_FILE, moved to each stage's last event), so its
# durations, SLA clocks and quiet time read as they did during the outage,
# and the last step moves the clock past the quiet time to resolve it.
#
# Environment: IMPACTD_DEMO_REDIS_PORT (default 6480), IMPACTD_DEMO_PAUSE
# (seconds between stages, default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

redis_port=${IMPACTD_DEMO_REDIS_PORT:-6480}
pause=${IMPACTD_DEMO_PAUSE:-2}
sample=scripts/sample/payments-outage.jsonl
config=config/impactd.yaml
impactd=build/impactd
stage_titles=(
        ""
        "payments degraded: the first alert and the first tickets"
        "payments outage: 15000 users, revenue lost, SLO burning fast"
        "checkout-web alerts too; tickets pile up"
        "sentiment sours, a ticket is re-delivered, one is solved"
        "recovery: the alerts resolve"
)
quiet_s=300 # lifecycle.quiet_time_s in config/impactd.yaml

work=$(mktemp -d /tmp/impactd-demo.XXXXXX)
clock="$work/clock"
worker_pid=""
logtail_pid=""
redis_started=""

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() {
        printf 'demo: %s\n' "$*" >&2
        exit 1
}

cleanup() {
        local rc=$? i
        trap - EXIT INT TERM
        if [[ -n "$worker_pid" ]] && kill -0 "$worker_pid" 2>/dev/null; then
                kill -TERM "$worker_pid" 2>/dev/null || true
                for ((i = 0; i < 150; i++)); do
                        kill -0 "$worker_pid" 2>/dev/null || break
                        sleep 0.1
                done
                if kill -0 "$worker_pid" 2>/dev/null; then
                        echo "demo: impactd did not stop within 15 s; killing it" >&2
                        kill -KILL "$worker_pid" 2>/dev/null || true
                        rc=1
                fi
                wait "$worker_pid" 2>/dev/null || true
        fi
        if [[ -n "$logtail_pid" ]]; then
                kill "$logtail_pid" 2>/dev/null || true
                wait "$logtail_pid" 2>/dev/null || true
        fi
        if [[ -n "$redis_started" ]]; then
                scripts/redis-test.sh stop "$redis_port" "$work/redis" || rc=1
        fi
        if ((rc == 0)); then
                rm -rf "$work"
        else
                echo "demo: FAILED (exit $rc); logs kept in $work" >&2
        fi
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

worker_alive() {
        kill -0 "$worker_pid" 2>/dev/null ||
                die "impactd exited early; last lines of $work/worker.log:
$(tail -n 20 "$work/worker.log" 2>/dev/null)"
}

build() {
        say "Installing dependencies and building impactd (Release)"
        scripts/install-deps.sh
        if ! { cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
                -DIMPACTD_TESTS=OFF &&
                cmake --build build -j "$(nproc)"; } >"$work/build.log" 2>&1; then
                tail -n 40 "$work/build.log" >&2
                die "build failed (full log: $work/build.log)"
        fi
        echo "built $impactd"
}

start_redis() {
        say "Starting a private Redis on port $redis_port"
        if [[ "$(timeout 2 redis-cli -p "$redis_port" ping 2>/dev/null)" == PONG ]]; then
                die "something already answers on port $redis_port; stop it or set IMPACTD_DEMO_REDIS_PORT"
        fi
        redis_started=1
        scripts/redis-test.sh start "$redis_port" "$work/redis"
}

# Starts the worker with the embedded mock cluster; sets $brokers.
start_worker() {
        local i
        say "Starting impactd with an embedded Kafka mock cluster"
        IMPACTD_KAFKA_BROKERS="" IMPACTD_CLOCK_FILE="$clock" \
                IMPACTD_REDIS_URL="redis://127.0.0.1:$redis_port/0" \
                "$impactd" run --config "$config" \
                >"$work/worker.out" 2>"$work/worker.log" &
        worker_pid=$!
        brokers=""
        for ((i = 0; i < 100; i++)); do
                brokers=$(sed -n 's/^kafka bootstrap: *//p' "$work/worker.out" | head -n 1)
                [[ -n "$brokers" ]] && break
                worker_alive
                sleep 0.2
        done
        [[ -n "$brokers" ]] || die "impactd printed no 'kafka bootstrap:' line within 20 s"
        echo "kafka bootstrap: $brokers (pid $worker_pid, log $work/worker.log)"

        # Scored revisions and escalations, live, until the worker exits.
        tail -n +1 -F --pid="$worker_pid" "$work/worker.log" 2>/dev/null \
                > >(grep --line-buffered -Ei 'scored|escalat|notification|muted|takeover|resolved incident|reopened' |
                        grep --line-buffered -v ' stats ' |
                        sed -u -E 's/^[^ ]+ [A-Z]+ //; s/^escalation /ESCALATION /; s/^notification /NOTIFY /; s/^/   impactd | /') &
        logtail_pid=$!

        # A consumer group's first join on the mock cluster takes ~3 s.
        for ((i = 0; i < 75; i++)); do
                grep -qi 'assigned' "$work/worker.log" && return 0
                worker_alive
                sleep 0.2
        done
        echo "(no 'assigned' log line after 15 s; producing anyway)"
}

# Moves the worker's clock (epoch ms); a rename, so it never reads half.
set_clock() {
        printf '%s\n' "$1" >"$clock.tmp"
        mv "$clock.tmp" "$clock"
}

feed() {
        local last stage topic lines at
        last=$(grep -o '"stage":[0-9]*' "$sample" | cut -d: -f2 | sort -n | tail -n 1)
        for ((stage = 1; stage <= last; stage++)); do
                say "Stage $stage/$last: ${stage_titles[stage]:-}"
                at=$(grep -F "\"stage\":$stage," "$sample" |
                        grep -o '"occurred_at":[0-9]*' | cut -d: -f2 | sort -n | tail -n 1)
                set_clock "$at"
                for topic in alerts tickets sentiment; do
                        lines=$(grep -F "\"stage\":$stage," "$sample" |
                                grep -F "\"topic\":\"$topic\"" || true)
                        [[ -n "$lines" ]] || continue
                        worker_alive
                        printf '%s\n' "$lines" |
                                "$impactd" produce --config "$config" \
                                        --brokers "$brokers" \
                                        --topic "impact.$topic" --format avro
                done
                worker_alive
                ((stage == last)) || sleep "$pause"
        done
        sleep "$pause"
        say "The quiet time passes: $quiet_s s with every alert resolved"
        set_clock $((at + quiet_s * 1000 + 1000))
}

wait_resolved() {
        local i
        for ((i = 0; i < 300; i++)); do
                if grep -Ei 'scored' "$work/worker.log" | grep -q 'RESOLVED'; then
                        sleep 1 # let the last outputs of the batch land
                        return 0
                fi
                worker_alive
                sleep 0.2
        done
        die "no RESOLVED scored revision within 60 s"
}

pretty() {
        if command -v python3 >/dev/null 2>&1; then
                python3 -m json.tool
        else
                cat
        fi
}

# The final revision of each incident: the highest "revision" per
# "incident_id" (the topic is ordered per partition, not overall).
final_revisions() {
        local line id rev
        local -A best=() best_rev=()
        while IFS= read -r line; do
                [[ "$line" =~ \"incident_id\":\"([^\"]*)\" ]] || continue
                id=${BASH_REMATCH[1]}
                [[ "$line" =~ \"revision\":([0-9]+) ]] || continue
                rev=${BASH_REMATCH[1]}
                if ((rev > ${best_rev[$id]:-0})); then
                        best_rev[$id]=$rev
                        best[$id]=$line
                fi
        done
        for id in "${!best[@]}"; do
                printf '%s\n' "${best[$id]}"
        done
}

report() {
        local scored line
        say "impact.escalations"
        "$impactd" tail --config "$config" --brokers "$brokers" \
                --topic impact.escalations --timeout-ms 5000
        say "impact.notifications (audience, kind, account: title)"
        "$impactd" tail --config "$config" --brokers "$brokers" \
                --topic impact.notifications --timeout-ms 5000 |
                sed -E 's/.*"revision":([0-9]+),"audience":"([^"]*)","account_id":("([^"]*)"|null),"kind":"([^"]*)","title":"([^"]*)".*/rev \1 \2 \5 \4: \6/'
        scored=$("$impactd" tail --config "$config" --brokers "$brokers" \
                --topic impact.scored --timeout-ms 5000)
        [[ -n "$scored" ]] || die "impact.scored is empty"
        say "Final scored revision of each incident ($(wc -l <<<"$scored") revisions on impact.scored)"
        final_revisions <<<"$scored" | while IFS= read -r line; do
                pretty <<<"$line"
        done
}

build
start_redis
set_clock "$(grep -o '"occurred_at":[0-9]*' "$sample" | cut -d: -f2 | sort -n | head -n 1)"
start_worker
feed
say "Waiting for the worker to score the resolution"
wait_resolved
report
say "Demo complete; stopping impactd and Redis"
