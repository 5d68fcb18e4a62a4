# shellcheck shell=bash
# Debian's second Rust toolchain, for building miauth for targets rustup's toolchain here lacks.
# Sourced by scripts/check-targets and scripts/test-windows; defines `need_cross_toolchain`.
#
# rustup's toolchain holds the Linux target only and no std source. Debian's `rustc-web`,
# `cargo-web`, `rust-web-src` (and `rust-web-clippy`) are a complete toolchain in /usr/bin that
# builds std for any target from source (`-Zbuild-std`, with RUSTC_BOOTSTRAP). It is called by
# absolute path with RUSTC and RUSTDOC set, since rustup's proxies come first in PATH.

# need_cross_toolchain [EXTRA_DEBIAN_PACKAGE...]: installs the toolchain (and the packages named)
# when missing, then checks that the compiler and the std source are of one version: Debian
# updates `rustc-web` without `rust-web-src`, and std from another version's source does not
# build. Sets `cross_cargo` to the command prefix that runs Debian's cargo.
need_cross_toolchain() {
  local missing=()
  [ -x /usr/bin/rustc ] || missing+=(rustc-web)
  [ -x /usr/bin/cargo ] || missing+=(cargo-web)
  [ -d /usr/lib/rustlib/src/rust/library ] || missing+=(rust-web-src)
  [ -x /usr/bin/cargo-clippy ] || missing+=(rust-web-clippy)
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing Debian packages: ${missing[*]}"
    local attempt
    for attempt in 1 2 3; do
      if apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
          "${missing[@]}" >/dev/null; then
        break
      fi
      if [ "$attempt" -eq 3 ]; then
        echo "error: cannot install ${missing[*]} with apt-get; install them, then run this again" >&2
        return 1
      fi
      sleep 10
    done
  fi

  local compiler source_dir source_version
  compiler=$(/usr/bin/rustc -V | awk '{print $2}')
  source_dir=$(readlink -f /usr/lib/rustlib/src/rust)
  source_version=${source_dir##*/rustc-}
  if [ "$compiler" != "$source_version" ]; then
    echo "error: Debian's rustc is $compiler but its std source ($source_dir) is $source_version;" \
      "install one version of both: apt-get install rustc-web rust-web-src" >&2
    return 1
  fi
  # shellcheck disable=SC2034 # used by the scripts that source this
  cross_cargo=(env PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
    RUSTC_BOOTSTRAP=1 /usr/bin/cargo)
}
