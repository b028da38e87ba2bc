#!/usr/bin/env bash
# The `unibus` binary as a user runs it: dispatch, help, exit codes, an id round trip.
set -euo pipefail

unibus="$TEST_SRCDIR/$TEST_WORKSPACE/client/cli/unibus"
tmp="$TEST_TMPDIR"
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_exit CODE COMMAND...: runs COMMAND, checks its exit code; output in $tmp/out, $tmp/err.
expect_exit() {
  local want="$1" got=0
  shift
  "$@" >"$tmp/out" 2>"$tmp/err" || got=$?
  [[ $got -eq $want ]] || fail "$* exited $got, want $want; stderr: $(cat "$tmp/err")"
}

expect_exit 0 "$unibus" help
grep -q 'id new' "$tmp/out" || fail "help does not list 'id new'"
expect_exit 0 "$unibus" help id
grep -q 'unibus id cert' "$tmp/out" || fail "help id does not describe 'id cert'"
for cmd in user room send recv chat blob; do
  expect_exit 0 "$unibus" help "$cmd"
  grep -q "unibus $cmd" "$tmp/out" || fail "help $cmd does not describe 'unibus $cmd'"
  expect_exit 0 "$unibus" "$cmd" --help
  grep -q 'UNIBUS_CONTROL' "$tmp/out" || fail "$cmd --help does not name UNIBUS_CONTROL"
done
expect_exit 0 "$unibus" help
grep -q '7  server unreachable' "$tmp/out" || fail "help does not list the exit codes"
grep -q '8  integrity check failed' "$tmp/out" || fail "help does not list exit code 8"
grep -q 'blob put ROOM FILE' "$tmp/out" || fail "help does not list blob put"
expect_exit 2 "$unibus"
expect_exit 2 "$unibus" no-such-command
grep -q 'unknown command' "$tmp/err" || fail "no message for an unknown command"

export UNIBUS_IDENTITY="$tmp/me.id"
export HOME="$tmp/home"
expect_exit 0 "$unibus" id new
[[ "$(stat -c %a "$tmp/me.id")" == 600 ]] || fail "identity file is not 0600"
head -c 2 "$tmp/me.id" | grep -q '^SU' || fail "identity file does not start with a NATS user seed"
expect_exit 3 "$unibus" id new
expect_exit 0 "$unibus" id show --json
grep -q '"nkey":"U' "$tmp/out" || fail "id show --json has no nkey"
expect_exit 0 "$unibus" id cert --out-cert "$tmp/me.pem" --out-key "$tmp/me.key"
openssl x509 -in "$tmp/me.pem" -noout -text | grep -q ED25519 || fail "certificate is not Ed25519"
[[ "$(openssl pkey -in "$tmp/me.key" -pubout)" == "$(openssl x509 -in "$tmp/me.pem" -noout -pubkey)" ]] ||
  fail "key does not match certificate"
# Commands that talk to unibus say which setting is missing (exit 2), and name an unreachable
# server (exit 7).
unset UNIBUS_CONTROL UNIBUS_NATS UNIBUS_CA
expect_exit 2 "$unibus" room list
grep -q 'UNIBUS_CONTROL' "$tmp/err" || fail "room list without UNIBUS_CONTROL does not say so"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=ca -days 1 \
  -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
expect_exit 7 "$unibus" room list --control 127.0.0.1:1 --nats nats://127.0.0.1:1 --ca "$tmp/ca.pem"
grep -q 'cannot reach unibusd at 127.0.0.1:1' "$tmp/err" || fail "no 'cannot reach' message"
expect_exit 2 "$unibus" recv some-room --count none
# Files: a malformed token is a usage error, a missing file a file error, both before connecting.
expect_exit 2 "$unibus" blob get ubblob1:not-a-token -o -
grep -q 'not a valid blob token' "$tmp/err" || fail "no message for a malformed token"
expect_exit 3 "$unibus" send some-room --file "$tmp/absent.pdf" --control 127.0.0.1:1 \
  --nats nats://127.0.0.1:1 --ca "$tmp/ca.pem"
grep -q "no file $tmp/absent.pdf" "$tmp/err" || fail "no message for a missing --file"
chmod 644 "$tmp/me.id"
expect_exit 3 "$unibus" id show
echo PASS
