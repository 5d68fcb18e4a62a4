#!/usr/bin/env bash
# The install step of the miauth GitHub Action (action.yml): downloads the release archive of
# miauth for the runner, checks it against its published SHA-256 and unpacks it.
#
# Usage: MIAUTH_VERSION=0.1.0 scripts/action/install.sh
#
# Environment:
#   MIAUTH_VERSION     the release to install, e.g. 0.1.0 (a leading "v" is allowed); required
#   MIAUTH_RELEASES    where the archives are: a URL or a local directory
#                      [default: $GITHUB_SERVER_URL/OWNER/REPO/releases/download/vVERSION, the
#                      repository the action comes from]
#   MIAUTH_TARGET      the Rust target whose archive to take [default: from RUNNER_OS and
#                      RUNNER_ARCH, or uname]
#   MIAUTH_ACTION_REPOSITORY  OWNER/REPO of the action [default: read off GITHUB_ACTION_PATH]
#   RUNNER_TEMP        where to unpack [default: a new temporary directory]
#   GITHUB_OUTPUT      receives `bin`, the installed binary's path, and `version`
#   GITHUB_PATH        receives the binary's directory, for the job's later steps
set -euo pipefail

say() { echo "miauth install: $*" >&2; }
fail() {
  echo "::error title=miauth install::$*"
  say "error: $*"
  exit 1
}

version=${MIAUTH_VERSION:-}
version=${version#v}
[ -n "$version" ] || fail "no version given; set the action's 'version' input, e.g. 0.1.0"

target=${MIAUTH_TARGET:-}
if [ -z "$target" ]; then
  os=${RUNNER_OS:-$(uname -s)}
  arch=${RUNNER_ARCH:-$(uname -m)}
  case "$os/$arch" in
    Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-musl ;;
    Linux/ARM64 | Linux/aarch64) target=aarch64-unknown-linux-musl ;;
    macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
    macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
    Windows/X64 | MINGW*/x86_64 | MSYS*/x86_64) target=x86_64-pc-windows-msvc ;;
    *) fail "no miauth release for $os on $arch; build it with 'cargo install --locked miauth'" ;;
  esac
fi
case "$target" in
  *-windows-*) format=zip exe=.exe ;;
  *) format=tar.gz exe="" ;;
esac
name="miauth-$target-v$version"
archive="$name.$format"

releases=${MIAUTH_RELEASES:-}
if [ -z "$releases" ]; then
  repository=${MIAUTH_ACTION_REPOSITORY:-}
  # Inside a composite action github.action_repository can be empty; the action's own path,
  # .../_actions/OWNER/REPO/REF (backslashes on Windows), names it too.
  action_path=${GITHUB_ACTION_PATH:-}
  action_path=${action_path//\\//}
  if [ -z "$repository" ] && [[ "$action_path" == */_actions/*/*/* ]]; then
    repository=$(cut -d / -f 1,2 <<<"${action_path#*/_actions/}")
  fi
  repository=${repository:-${GITHUB_REPOSITORY:-}}
  [ -n "$repository" ] || fail "cannot tell which repository's releases to use; set MIAUTH_RELEASES"
  releases="${GITHUB_SERVER_URL:-https://github.com}/$repository/releases/download/v$version"
fi

work=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/miauth-install.XXXXXX")
say "installing miauth $version ($archive) from $releases"
if [ -d "$releases" ]; then
  cp "$releases/$archive" "$releases/$archive.sha256" "$work/" ||
    fail "$releases has no $archive and $archive.sha256"
else
  for file in "$archive" "$archive.sha256"; do
    curl --proto '=https,http' -fsSL --retry 3 -o "$work/$file" "$releases/$file" ||
      fail "cannot download $releases/$file"
  done
fi

# The .sha256 file is `HASH  NAME`; only the hash is taken, so the name in it cannot point
# elsewhere.
expected=$(cut -d ' ' -f 1 <"$work/$archive.sha256")
if command -v sha256sum >/dev/null; then
  actual=$(sha256sum "$work/$archive" | cut -d ' ' -f 1)
else
  actual=$(shasum -a 256 "$work/$archive" | cut -d ' ' -f 1)
fi
if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
  fail "$archive does not match its checksum (expected ${expected:-nothing}, got $actual)"
fi

if [ "$format" = zip ] && command -v unzip >/dev/null; then
  unzip -q "$work/$archive" -d "$work"
elif [ "$format" = zip ]; then
  7z x -bd -o"$work" "$work/$archive" >/dev/null
else
  tar -C "$work" -xzf "$work/$archive"
fi
bin="$work/$name/miauth$exe"
[ -f "$bin" ] || fail "$archive has no $name/miauth$exe"

installed=$("$bin" --version) || fail "the installed miauth does not run"
[ "$installed" = "miauth $version" ] || fail "$archive holds '$installed', not miauth $version"
say "installed $installed at $bin"

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "bin=$bin"
    echo "version=$version"
  } >>"$GITHUB_OUTPUT"
fi
if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$work/$name" >>"$GITHUB_PATH"
fi
