#!/bin/sh
# miauth's one-line installer for Linux, macOS (and Git Bash, MSYS2 or Cygwin on Windows):
# downloads the release archive for this system with its .sha256, refuses it when the checksum
# does not match, and installs the `miauth` binary, atomically. POSIX sh; `--help` (usage()
# below) says how to use it, which variables it reads and its exit codes.
#
# The GitHub repository whose releases it installs. In the source this is the placeholder
# OWNER/miauth; the release workflow writes its own repository on this line (and nowhere else)
# in the copy of install.sh it publishes.
MIAUTH_REPOSITORY=${MIAUTH_REPOSITORY:-OWNER/miauth}

usage() {
  cat <<EOF
miauth install: installs miauth from its GitHub release, checked against the release's SHA-256.

Usage:
  curl --proto '=https' --tlsv1.2 -LsSf https://github.com/$MIAUTH_REPOSITORY/releases/latest/download/install.sh | sh
  sh install.sh [-q | --quiet] [-h | --help]
  (with options through a pipe: ... | sh -s -- --quiet)

Picks the archive for this system (Linux x86_64/aarch64: the static musl build; macOS Apple
silicon/Intel; Windows x86_64 under Git Bash, MSYS2 or Cygwin), downloads it and its .sha256
with curl (or wget), checks the SHA-256 (sha256sum, shasum or openssl), runs the binary once
(miauth --version), then copies it into a temporary file in the install folder and renames it
to miauth: an existing miauth is replaced whole or not at all, and nothing is left behind when
anything fails. Installs the binary alone; the archive also holds the man page and the shell
completions, which miauth prints itself (miauth manpage, miauth completions SHELL).

Options:
  -q, --quiet   print nothing but errors (also MIAUTH_QUIET=1)
  -h, --help    print this help

Environment:
  MIAUTH_VERSION      the release to install, e.g. 0.1.0 (a leading v is allowed)
                      [default: the latest, read from the VERSION file every release has]
  MIAUTH_RELEASES     where the archives are: an http(s) URL or a local folder holding
                      miauth-TARGET-vVERSION.tar.gz (.zip for Windows), its .sha256 and, for
                      the latest version, VERSION
                      [default: https://github.com/$MIAUTH_REPOSITORY/releases/download/vVERSION,
                      the latest version read from .../releases/latest/download/VERSION]
  MIAUTH_REPOSITORY   the GitHub repository (OWNER/REPO) of the default above
                      [default: $MIAUTH_REPOSITORY]
  MIAUTH_INSTALL_DIR  the folder to install miauth into [default: ~/.local/bin]
  MIAUTH_TARGET       the Rust target whose archive to take, e.g. x86_64-unknown-linux-musl
                      [default: from uname -s and uname -m]; it must run on this system
  MIAUTH_QUIET        1: the same as --quiet

Exit codes:
  0  miauth is installed
  1  another failure: no curl or wget, nothing to check a SHA-256 with or to unpack the
     archive, the archive holds no miauth, or the miauth in it does not run here
  2  wrong usage: an unknown option, a malformed MIAUTH_VERSION or MIAUTH_TARGET,
     MIAUTH_RELEASES neither a folder nor a URL, or no repository named
  3  no miauth release for this system (cargo install --locked miauth builds one)
  4  a download failed, or MIAUTH_RELEASES lacks a file
  5  the archive does not match its checksum: nothing was installed
  6  no write access to the install folder: nothing was installed
EOF
}

set -u

quiet=0
work=""
partial=""

say() {
  [ "$quiet" = 1 ] || printf 'miauth install: %s\n' "$*" >&2
}

# fail CODE MESSAGE: one line on stderr (and an annotation in a GitHub Actions log), then exit.
fail() {
  code=$1
  shift
  if [ "${GITHUB_ACTIONS:-}" = true ]; then
    printf '::error title=miauth install::%s\n' "$(printf '%s' "$*" | sed 's/%/%25/g')"
  fi
  printf 'miauth install: error: %s\n' "$*" >&2
  exit "$code"
}

cleanup() {
  [ -z "$partial" ] || rm -f "$partial"
  [ -z "$work" ] || rm -rf "$work"
}

# The last line a failed command wrote to FILE, for the one-line error (without the time stamp
# GNU wget puts in front).
reason() {
  [ -s "$1" ] || return 0
  tr -d '\r' <"$1" | sed '/^[[:space:]]*$/d' | sed -n '$p' |
    sed 's/^[0-9][0-9-]* [0-9][0-9:]* //'
}

detect_target() {
  os=$(uname -s 2>/dev/null) || os=unknown
  arch=$(uname -m 2>/dev/null) || arch=unknown
  case "$os/$arch" in
    Linux/x86_64 | Linux/amd64) target=x86_64-unknown-linux-musl ;;
    Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-musl ;;
    Darwin/arm64 | Darwin/aarch64) target=aarch64-apple-darwin ;;
    Darwin/x86_64)
      # A shell under Rosetta 2 says x86_64 on Apple silicon, where the native build is better.
      if [ "$(sysctl -n hw.optional.arm64 2>/dev/null)" = 1 ]; then
        target=aarch64-apple-darwin
      else
        target=x86_64-apple-darwin
      fi
      ;;
    MINGW*/x86_64 | MSYS*/x86_64 | CYGWIN*/x86_64) target=x86_64-pc-windows-msvc ;;
    *) fail 3 "no miauth release for $os on $arch; build it with 'cargo install --locked miauth'" ;;
  esac
}

# fetch FILE DEST: FILE from the releases (a folder or a URL) into DEST.
fetch() {
  if [ "$kind" = folder ]; then
    [ -f "$releases/$1" ] || fail 4 "cannot download $releases/$1: no such file"
    cp "$releases/$1" "$2" 2>"$work/error" || {
      why=$(reason "$work/error")
      fail 4 "cannot download $releases/$1${why:+ ($why)}"
    }
    return 0
  fi
  url="$releases/$1"
  case "$url" in
    https://*) protocols='=https' ;;
    *) protocols='=http,https' ;;
  esac
  if [ "$downloader" = curl ]; then
    curl --proto "$protocols" --tlsv1.2 -fsSL --retry 3 --connect-timeout 30 -o "$2" "$url" \
      2>"$work/error" || {
      why=$(reason "$work/error")
      fail 4 "cannot download $url${why:+ ($why)}"
    }
  else
    # Not -q: what wget says last is the reason it failed (its progress goes to the file too).
    set -- -O "$2"
    case "$url" in
      https://*) wget --help 2>&1 | grep -q -- --https-only && set -- "$@" --https-only ;;
    esac
    status=0
    wget "$@" "$url" 2>"$work/error" || status=$?
    if [ "$status" -ne 0 ]; then
      why=$(reason "$work/error")
      fail 4 "cannot download $url (${why:-wget exited with status $status})"
    fi
  fi
}

sha256_of() {
  case "$hasher" in
    sha256sum) sha256sum <"$1" ;;
    shasum) shasum -a 256 <"$1" ;;
    openssl) openssl dgst -sha256 -r <"$1" ;;
  esac | awk '{ print tolower($1) }'
}

main() {
  case "${MIAUTH_QUIET:-}" in
    "" | 0 | false | no) ;;
    *) quiet=1 ;;
  esac
  for arg; do
    case "$arg" in
      -q | --quiet) quiet=1 ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) fail 2 "unknown option '$arg' (see --help)" ;;
    esac
  done

  # --- what to install ---
  target=${MIAUTH_TARGET:-}
  os=$(uname -s 2>/dev/null) || os=unknown
  if [ -z "$target" ]; then
    detect_target
  fi
  case "$target" in
    *[!A-Za-z0-9_.-]*) fail 2 "MIAUTH_TARGET '$target' is not a Rust target" ;;
  esac
  case "$target" in
    *-windows-*) format=zip exe=.exe ;;
    *) format=tar.gz exe="" ;;
  esac

  version=${MIAUTH_VERSION:-}
  version=${version#v}
  case "$version" in
    *[!A-Za-z0-9.+-]*) fail 2 "MIAUTH_VERSION '$version' is not a version such as 0.1.0" ;;
  esac

  releases=${MIAUTH_RELEASES:-}
  releases=${releases%/}
  github=""
  latest=""
  if [ -z "$releases" ]; then
    case "$MIAUTH_REPOSITORY" in
      OWNER/* | "")
        fail 2 "this install.sh names no repository (the placeholder '$MIAUTH_REPOSITORY'); set MIAUTH_REPOSITORY=OWNER/REPO or MIAUTH_RELEASES"
        ;;
      */*/* | *[!A-Za-z0-9_./-]*)
        fail 2 "MIAUTH_REPOSITORY '$MIAUTH_REPOSITORY' is not OWNER/REPO"
        ;;
    esac
    github="https://github.com/$MIAUTH_REPOSITORY/releases"
    latest="$github/latest/download"
  fi
  if [ -n "$releases" ] && [ -d "$releases" ]; then
    kind=folder
  else
    kind=url
    case "${releases:-$latest}" in
      http://* | https://*) ;;
      *) fail 2 "MIAUTH_RELEASES '$releases' is neither a folder nor an http(s) URL" ;;
    esac
  fi

  # --- where to install it; checked before anything is downloaded ---
  dir=${MIAUTH_INSTALL_DIR:-}
  if [ -z "$dir" ]; then
    [ -n "${HOME:-}" ] || fail 2 "HOME is not set; set MIAUTH_INSTALL_DIR"
    dir="$HOME/.local/bin"
  fi
  case "$dir" in
    /* | [A-Za-z]:*) ;;
    *) dir="$(pwd)/$dir" ;;
  esac
  dir=${dir%/}
  # The folder, or the nearest one above it that exists (where it will be made), must be a
  # folder this user can write to.
  probe=$dir
  while [ ! -e "$probe" ] && [ "$(dirname "$probe")" != "$probe" ]; do
    probe=$(dirname "$probe")
  done
  if [ ! -d "$probe" ]; then
    fail 6 "no write access to $dir: $probe is not a folder; set MIAUTH_INSTALL_DIR to a folder you can write to"
  fi
  if [ ! -w "$probe" ] && [ "$probe" = "$dir" ]; then
    fail 6 "no write access to $dir; set MIAUTH_INSTALL_DIR to a folder you can write to"
  elif [ ! -w "$probe" ]; then
    fail 6 "no write access to $dir: cannot create it in $probe; set MIAUTH_INSTALL_DIR to a folder you can write to"
  fi

  # --- the tools, before anything is downloaded ---
  if [ "$kind" = folder ]; then
    downloader=folder
  elif command -v curl >/dev/null 2>&1; then
    downloader=curl
  elif command -v wget >/dev/null 2>&1; then
    downloader=wget
  else
    fail 1 "neither curl nor wget is installed; install one of them"
  fi
  if command -v sha256sum >/dev/null 2>&1; then
    hasher=sha256sum
  elif command -v shasum >/dev/null 2>&1; then
    hasher=shasum
  elif command -v openssl >/dev/null 2>&1; then
    hasher=openssl
  else
    fail 1 "none of sha256sum, shasum or openssl is installed to check the download with"
  fi
  if [ "$format" = zip ]; then
    if command -v unzip >/dev/null 2>&1; then
      unpacker=unzip
    elif command -v 7z >/dev/null 2>&1; then
      unpacker=7z
    else
      fail 1 "neither unzip nor 7z is installed to unpack the .zip with"
    fi
  else
    command -v tar >/dev/null 2>&1 || fail 1 "tar is not installed"
  fi

  trap cleanup EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
  work=$(mktemp -d "${TMPDIR:-/tmp}/miauth-install.XXXXXX" 2>/dev/null) ||
    fail 1 "cannot make a temporary folder in ${TMPDIR:-/tmp}"

  # --- which version ---
  if [ -z "$version" ]; then
    if [ -n "$releases" ]; then
      from=$releases
    else
      from=$latest
      releases=$latest
    fi
    fetch VERSION "$work/VERSION"
    version=$(sed -n '1p' "$work/VERSION" | tr -d ' \t\r')
    version=${version#v}
    case "$version" in
      "" | *[!A-Za-z0-9.+-]*) fail 4 "$from/VERSION holds no version; set MIAUTH_VERSION" ;;
    esac
    say "the latest release is $version"
    [ -z "$github" ] || releases="$github/download/v$version"
  elif [ -z "$releases" ]; then
    releases="$github/download/v$version"
  fi
  name="miauth-$target-v$version"
  archive="$name.$format"

  # --- download and check ---
  say "downloading miauth $version for $target from $releases"
  fetch "$archive.sha256" "$work/$archive.sha256"
  fetch "$archive" "$work/$archive"
  expected=$(awk 'NR == 1 { print tolower($1) }' <"$work/$archive.sha256" | tr -d '\r')
  actual=$(sha256_of "$work/$archive")
  [ -n "$actual" ] || fail 1 "$hasher gave no SHA-256 for $archive"
  if [ "${#expected}" -ne 64 ] || [ "$expected" != "$actual" ]; then
    fail 5 "$archive does not match its checksum (expected ${expected:-nothing}, got $actual); nothing was installed"
  fi

  mkdir "$work/unpacked"
  member="$name/miauth$exe"
  case "$format/${unpacker:-}" in
    zip/unzip) unzip -q "$work/$archive" "$member" -d "$work/unpacked" >"$work/error" 2>&1 ;;
    zip/7z) 7z x -bd -o"$work/unpacked" "$work/$archive" >"$work/error" 2>&1 ;;
    *) tar -C "$work/unpacked" -xzf "$work/$archive" "$member" >"$work/error" 2>&1 ;;
  esac
  bin="$work/unpacked/$member"
  [ -f "$bin" ] || fail 1 "$archive holds no $member"
  chmod 755 "$bin"
  got=$("$bin" --version 2>/dev/null) ||
    fail 1 "the miauth in $archive does not run on this system ($os $(uname -m 2>/dev/null))"
  got=$(printf '%s' "$got" | tr -d '\r')
  [ "$got" = "miauth $version" ] || fail 1 "$archive holds '$got', not miauth $version"

  # --- install: a temporary file in the folder, renamed over the old binary ---
  mkdir -p "$dir" 2>"$work/error" ||
    fail 6 "no write access to $dir ($(reason "$work/error")); set MIAUTH_INSTALL_DIR to a folder you can write to"
  partial=$(mktemp "$dir/.miauth-install.XXXXXX" 2>/dev/null) || {
    partial=""
    fail 6 "no write access to $dir; set MIAUTH_INSTALL_DIR to a folder you can write to"
  }
  installed="$dir/miauth$exe"
  cp "$bin" "$partial" 2>"$work/error" ||
    fail 6 "cannot copy miauth into $dir ($(reason "$work/error")); nothing was installed"
  chmod 755 "$partial" 2>"$work/error" ||
    fail 6 "cannot make miauth executable in $dir ($(reason "$work/error")); nothing was installed"
  mv -f "$partial" "$installed" 2>"$work/error" ||
    fail 6 "cannot replace $installed ($(reason "$work/error")); nothing was installed"
  partial=""
  say "installed miauth $version at $installed"

  # --- PATH ---
  case ":${PATH:-}:" in
    *":$dir:"* | *":$dir/:"*) ;;
    *)
      shown=$dir
      case "$dir" in
        "${HOME:-/nonexistent}"/*) shown="\$HOME${dir#"$HOME"}" ;;
      esac
      case "${SHELL:-}" in
        */fish) how="fish_add_path $shown" ;;
        *) how="export PATH=\"$shown:\$PATH\" in ~/.profile (or your shell's startup file)" ;;
      esac
      say "$dir is not on PATH; add it with: $how"
      ;;
  esac
}

main ${1+"$@"}
