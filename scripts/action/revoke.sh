#!/usr/bin/env bash
# The step of the miauth revoke action (revoke/action.yml): the last step of a job that logged
# in with the miauth action, run even when the job failed (`if: always()`). It asks the instance
# to revoke the token (Misskey 2026.9.0 and later do; older servers and the forks refuse, and the
# token then works until the person deletes the app at INSTANCE/settings/apps).
#
# Usage: MIAUTH_INSTANCE=https://misskey.io MISSKEY_TOKEN=... scripts/action/revoke.sh
#
# Environment:
#   MIAUTH_INSTANCE  the instance, as the login step's `instance` output gives it; required
#                    when there is a token
#   MISSKEY_TOKEN    the token to revoke, as the login step's `token` output gives it; empty when
#                    the login failed, and then there is nothing to revoke
#   MIAUTH           the miauth binary [default: miauth on PATH]
#   GITHUB_OUTPUT    receives `revoked`: yes, already, unsupported, unreachable, or none when
#                    there was no token
#
# Exits 0 when the instance answered (a token it does not let an app revoke is a warning in the
# log, naming where to delete the app), with miauth's exit code otherwise: 4 when the instance
# could not be asked and the token may still work.
set -euo pipefail

output() {
  [ -z "${GITHUB_OUTPUT:-}" ] || echo "revoked=$1" >>"$GITHUB_OUTPUT"
}

if [ -z "${MISSKEY_TOKEN:-}" ]; then
  echo "miauth: no token was given (did the login fail?); nothing to revoke." >&2
  output none
  exit 0
fi
instance=${MIAUTH_INSTANCE:-}
if [ -z "$instance" ]; then
  echo "::error title=miauth revoke::no instance given; set the 'instance' input to the login step's 'instance' output"
  exit 2
fi
command -v jq >/dev/null || {
  echo "::error title=miauth revoke::jq is needed to read miauth's JSON result; install it first"
  exit 2
}
miauth=${MIAUTH:-miauth}

# The token reaches miauth in its environment, never in its arguments.
status=0
result=$(MISSKEY_TOKEN="$MISSKEY_TOKEN" "$miauth" revoke --format json -- "$instance") || status=$?
revoked=$(jq -r '.revoked // empty' <<<"$result" 2>/dev/null || true)
output "${revoked:-unreachable}"
case "$revoked" in
  yes | already) ;;
  unsupported)
    echo "::warning title=miauth revoke::$(jq -r '.instance' <<<"$result") does not let an app revoke its own token: it works until you delete the app at $(jq -r '.settings_url' <<<"$result")"
    ;;
  *)
    echo "::error title=miauth revoke::the token could not be revoked (exit code $status) and may still work; the lines above say why"
    ;;
esac
exit "$status"
