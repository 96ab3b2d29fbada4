#!/bin/sh
# The worker's "unit tests".
set -eu
out=$(printf 'job-1\njob-2\n' | wc -l)
[ "$out" -eq 2 ] || { echo "  FAIL queue reads two jobs"; exit 1; }
echo "  ok   queue reads two jobs"
echo "worker: tests done"
