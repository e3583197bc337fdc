#!/bin/sh
# 1.5-million-row manifest with bounded memory: run for a bounded time, kill -9, resume, kill again; print heap use
# after GC and what was committed. Usage: bench/night-1.5m.sh [SECONDS_FIRST] [SECONDS_RESUME]
set -u
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${BENCH_WORK:-/tmp/imagescore-bench}"
mkdir -p "$work"
m="$work/night-1.5m.csv"
[ -f "$m" ] || python3 "$root/bench/make-manifest.py" 1500000 "$root/../shared/data/clive/images" "$m"
rm -rf "$work/night"
for round in 1 2; do
  secs="${1:-90}"; [ "$round" = 2 ] && secs="${2:-60}"
  IMAGESCORE_JAVA_OPTS="-Xmx256m -Xlog:gc:file=$work/gc-$round.log" timeout -s KILL "$secs" \
    "$root/bin/imagescore" batch --manifest "$m" --embedded --shared "$root/../shared" --out "$work/night" \
    --format parquet --chunk-size 1000 --progress log --log-every 15 2>&1 | grep -E 'progress|resuming|done|STOPPED'
  echo "round $round: killed after ${secs}s; parts $(ls "$work/night/parts" | grep -c 'parquet$'), journal lines $(wc -l < "$work/night/journal.jsonl")"
  echo "round $round: heap after GC max $(grep -o -- '->[0-9]*M' "$work/gc-$round.log" | tr -d '>M-' | sort -n | tail -1) MB, before GC max $(grep -oE '[0-9]+M->' "$work/gc-$round.log" | tr -d '>M-' | sort -n | tail -1) MB (-Xmx256m)"
done
# chunk indices are unique and contiguous from 0 except chunks in flight at the kill; every chunk holds 1000 rows
python3 - "$work/night/journal.jsonl" <<'PY'
import json, sys
chunks = [json.loads(l) for l in open(sys.argv[1])]
idx = sorted(c["chunk"] for c in chunks)
assert len(idx) == len(set(idx)), "a chunk committed twice"
print(f"{len(idx)} chunks, {sum(c['rows'] for c in chunks)} rows, all 1000 rows each: {all(c['rows'] == 1000 for c in chunks)}, highest chunk {idx[-1]}")
PY
