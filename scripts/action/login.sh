#!/usr/bin/env bash
# The login step of the miauth GitHub Action (action.yml): a MiAuth login approved by a person
# who opens the URL printed in the job's log (a QR code follows it, for a phone), with no
# callback to the runner; miauth finds the approval by polling the instance.
#
# Usage: MIAUTH_INSTANCE=misskey.io scripts/action/login.sh
#
# Environment:
#   MIAUTH_INSTANCE     the instance or an account handle (misskey.io, @alice@example.com); required
#   MIAUTH_PERMISSIONS  comma-separated permission names or patterns [default: read:account]
#   MIAUTH_NAME         the application name on the consent page [default: miauth's own]
#   MIAUTH_TIMEOUT      how long to wait for the approval [default: 15m]
#   MIAUTH              the miauth binary [default: miauth on PATH]
#   GITHUB_OUTPUT       receives the step outputs `token`, `instance` and `user` (@username@host);
#                       required
#   GITHUB_ACTIONS      "true" on a runner: miauth then masks the token in the log first
#
# Exits with miauth's exit code (3: not approved in time; see docs/program.md for the exit codes).
set -euo pipefail

fail() {
  echo "::error title=miauth login::$*"
  exit "${2:-2}"
}

instance=${MIAUTH_INSTANCE:-}
[ -n "$instance" ] || fail "no instance given; set the action's 'instance' input, e.g. misskey.io"
[ -n "${GITHUB_OUTPUT:-}" ] || fail "GITHUB_OUTPUT is not set; this runs as a GitHub Actions step"
command -v jq >/dev/null || fail "jq is needed to read miauth's JSON result; install it first"
miauth=${MIAUTH:-miauth}

args=(login --no-callback --no-browser --qr --format json
  --timeout "${MIAUTH_TIMEOUT:-15m}" --permission "${MIAUTH_PERMISSIONS:-read:account}")
if [ -n "${MIAUTH_NAME:-}" ]; then
  args+=(--name "$MIAUTH_NAME")
fi
args+=(-- "$instance")

# stdout carries only the JSON result; the URL, the QR code, progress and the ::add-mask::
# command (printed before anything else could show the token) go to the log on stderr.
status=0
result=$("$miauth" "${args[@]}") || status=$?
if [ "$status" -ne 0 ]; then
  echo "::error title=miauth login::the login did not complete (exit code $status); the lines above say why"
  exit "$status"
fi

token=$(jq -er '.token' <<<"$result") || fail "miauth printed no token" 1
instance_url=$(jq -er '.instance' <<<"$result") || fail "miauth printed no instance" 1
# The account's host is null for an account of the instance itself: then it is the instance's
# host (and port), as miauth reports it.
user=$(jq -er '"@" + .user.username + "@" + (.user.host // (.instance | sub("^[a-z]+://"; "") | sub("/.*$"; "")))' <<<"$result") ||
  fail "miauth printed no account" 1

# Values go in as heredocs with a fresh delimiter, so no value can end one early.
delimiter="miauth_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
{
  printf 'token<<%s\n%s\n%s\n' "$delimiter" "$token" "$delimiter"
  printf 'instance<<%s\n%s\n%s\n' "$delimiter" "$instance_url" "$delimiter"
  printf 'user<<%s\n%s\n%s\n' "$delimiter" "$user" "$delimiter"
} >>"$GITHUB_OUTPUT"

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  echo "Logged in to $instance_url as $user with miauth." >>"$GITHUB_STEP_SUMMARY"
fi
echo "miauth: the token of $user on $instance_url is in this step's outputs (masked in the log)." >&2
