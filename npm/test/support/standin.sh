#!/bin/sh
# shellcheck disable=SC2089,SC2090 # the JSON lines below are data, echoed whole
# A stand-in for the miauth binary (MIAUTH_BINARY), doing what $STANDIN says, so the tests can
# give the launcher and the library every outcome. Markers go to $STANDIN_DIR.
mark() { printf '%s\n' "$2" >"$STANDIN_DIR/$1"; }
[ -n "${STANDIN_DIR:-}" ] && mark pid "$$"
success='{"event":"success","token":"SECRET-standin-token","instance":"https://misskey.example","user":{"id":"9x","username":"alice","host":null,"name":"Alice"},"permissions":["read:account"]}'
authorize='{"event":"authorize","url":"https://misskey.example/miauth/s","callback":null,"expires_at":"2030-01-01T00:00:00Z"}'
case "$STANDIN" in
args)
  for arg in "$@"; do printf '%s\n' "$arg"; done
  ;;
echo-args)
  # A success whose permissions are the arguments, and whose token is them joined by spaces
  # (plain ones: no quotes or backslashes).
  list=""
  for arg in "$@"; do list="$list${list:+,}\"$arg\""; done
  printf '{"event":"success","token":"%s","instance":"https://misskey.example","user":{"id":"1","username":"a","host":null,"name":null},"permissions":[%s]}\n' "$*" "$list"
  ;;
event-*)
  code=${STANDIN#event-}
  printf '{"event":"error","code":%s,"kind":"kind%s","message":"failure %s","hint":"do %s"}\n' "$code" "$code" "$code" "$code"
  echo "miauth: error: failure $code; do $code" >&2
  exit "$code"
  ;;
exit-*)
  echo "miauth: error: it broke without an event; report it" >&2
  exit "${STANDIN#exit-}"
  ;;
unkept)
  printf '{"event":"error","code":5,"kind":"store","message":"the keyring is locked","hint":"unlock it","result":%s}\n' "$success"
  exit 5
  ;;
success)
  echo "$success"
  ;;
success-linger)
  echo "$success"
  exec sleep 600 >/dev/null 2>&1
  ;;
revocation)
  # logout/revoke --format json: the arguments and MISSKEY_TOKEN go to markers.
  mark args "$*"
  mark token "${MISSKEY_TOKEN-unset}"
  echo '{"instance":"https://misskey.example","account":"@alice@misskey.example","forgotten":true,"revoked":"yes"}'
  ;;
unreachable)
  echo '{"instance":"https://misskey.example","account":"@alice@misskey.example","forgotten":true,"revoked":"unreachable","settings_url":"https://misskey.example/settings/apps","detail":"cannot reach https://misskey.example"}'
  echo "miauth: warning: could not ask https://misskey.example to revoke the token" >&2
  exit 4
  ;;
echo-token-*)
  # A miauth that would show the token, exiting with the code of the mode's name: in its
  # object, and in its last error line.
  code=${STANDIN#echo-token-}
  printf '{"instance":"https://misskey.example","account":null,"forgotten":false,"revoked":"unsupported","settings_url":"https://misskey.example/settings/apps","detail":"refused %s"}\n' "$MISSKEY_TOKEN"
  echo "miauth: error: the token $MISSKEY_TOKEN broke it; do something" >&2
  exit "$code"
  ;;
hang)
  exec sleep 600 >/dev/null 2>&1
  ;;
authorize-hang)
  echo "$authorize"
  exec sleep 600 >/dev/null 2>&1
  ;;
interrupt | interrupt-approved)
  if [ "$STANDIN" = interrupt ]; then
    trap 'mark signal INT; kill "$sleeper"; echo "{\"event\":\"error\",\"code\":130,\"kind\":\"interrupted\",\"message\":\"interrupted\",\"hint\":null}"; exit 130' INT
  else
    trap 'mark signal INT; kill "$sleeper"; echo "$success"; exit 0' INT
  fi
  sleep 600 >/dev/null 2>&1 &
  sleeper=$!
  echo "$authorize"
  wait "$sleeper"
  ;;
signals)
  for sig in INT TERM HUP; do
    trap 'mark signal '"$sig"'; kill "$sleeper"; exit 7' "$sig"
  done
  sleep 600 >/dev/null 2>&1 &
  sleeper=$!
  mark sleeper "$sleeper"
  echo ready
  wait "$sleeper"
  ;;
selfkill)
  kill -KILL $$
  ;;
*)
  echo "standin: unknown STANDIN=$STANDIN" >&2
  exit 99
  ;;
esac
