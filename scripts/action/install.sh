#!/usr/bin/env bash
# The install step of the miauth GitHub Action (action.yml): installs the release of miauth
# for the runner with the installer people use, install.sh at the repository's root (which
# picks the archive from uname, downloads it and its .sha256, refuses it on a checksum mismatch
# and installs the binary), into a new folder under RUNNER_TEMP, then hands the binary to the
# job's later steps.
#
# Usage: MIAUTH_VERSION=0.1.0 scripts/action/install.sh
#
# Environment:
#   MIAUTH_VERSION     the release to install, e.g. 0.1.0 (a leading "v" is allowed); required
#   MIAUTH_RELEASES    where the archives are: a URL or a local directory
#                      [default: $GITHUB_SERVER_URL/OWNER/REPO/releases/download/vVERSION, the
#                      repository the action comes from]
#   MIAUTH_TARGET      the Rust target whose archive to take [default: install.sh's choice
#                      from uname; Windows runners run this step in Git Bash, which install.sh
#                      takes for x86_64-pc-windows-msvc]
#   MIAUTH_ACTION_REPOSITORY  OWNER/REPO of the action [default: read off GITHUB_ACTION_PATH]
#   RUNNER_TEMP        where to install [default: a new temporary directory]
#   GITHUB_OUTPUT      receives `bin`, the installed binary's path, and `version`
#   GITHUB_PATH        receives the binary's directory, for the job's later steps
#
# Exits with install.sh's exit code when it fails (install.sh --help lists them); install.sh
# writes its error as an ::error annotation too.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

fail() {
  echo "::error title=miauth install::$*"
  echo "miauth install: error: $*" >&2
  exit 2
}

version=${MIAUTH_VERSION:-}
version=${version#v}
[ -n "$version" ] || fail "no version given; set the action's 'version' input, e.g. 0.1.0"

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

# In Git Bash RUNNER_TEMP is a Windows path (D:\a\_temp); install.sh works with the POSIX form.
temp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
if command -v cygpath >/dev/null; then
  temp=$(cygpath -u "$temp")
fi
folder=$(mktemp -d "$temp/miauth-install.XXXXXX")
dir="$folder/bin"

# The folder goes on the job's PATH below, so install.sh has no PATH hint to give.
status=0
PATH="$dir:$PATH" MIAUTH_INSTALL_DIR="$dir" MIAUTH_VERSION="$version" MIAUTH_RELEASES="$releases" \
  sh "$root/install.sh" || status=$?
if [ "$status" -ne 0 ]; then
  rm -rf "$folder"
  exit "$status"
fi

bin="$dir/miauth"
[ -f "$bin" ] || bin="$dir/miauth.exe"
# Later steps may run in PowerShell or cmd: on Windows they get the mixed form, D:/a/_temp/...
if command -v cygpath >/dev/null; then
  dir=$(cygpath -m "$dir")
  bin=$(cygpath -m "$bin")
fi

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "bin=$bin"
    echo "version=$version"
  } >>"$GITHUB_OUTPUT"
fi
if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$dir" >>"$GITHUB_PATH"
fi
