#!/bin/sh
# The API's "unit tests": just enough shell to show a local task passing or failing.
fail=0
check() {
    if eval "$2"; then echo "  ok   $1"; else echo "  FAIL $1"; fail=1; fi
}
check "health endpoint says ok" 'grep -q "\"status\": \"ok\"" public/health.json'
check "health body is one line"  '[ "$(wc -l < public/health.json)" -eq 1 ]'
echo "api: tests done"
exit "$fail"
