# shellcheck shell=bash
# Windows under Wine, for scripts/test-windows and scripts/test-npm-windows: sourced after
# `root` is set. Installs what is missing (Debian's second Rust toolchain, MinGW, Wine 8), and
# sets up a Wine prefix and a cargo for x86_64-pc-windows-gnu:
#   target, cache, build, wine     the target, ~/.cache/miauth-cross, the build folder, wine64
#   WINEPREFIX                     a Windows 10 prefix (exported), reused by later runs
#   windows_cargo, build_std       `"${windows_cargo[@]}" build "${build_std[@]}"` builds for it
#   exe                            where that build puts miauth.exe
#   winpath PATH                   prints PATH as Windows names it (Z:\...)
#
# The build folder and the prefix live outside the clone, since CI checks out a fresh clone
# every time: std built from source, the dependencies and the prefix are reused by every later
# run on the machine.

: "${root:?scripts/cross/windows.sh needs root, the folder of the clone}"

# shellcheck source=scripts/cross/toolchain.sh
. "$root/scripts/cross/toolchain.sh"
need_cross_toolchain gcc-mingw-w64-x86-64 wine64 curl

target=x86_64-pc-windows-gnu
cache=${XDG_CACHE_HOME:-$HOME/.cache}/miauth-cross
build=$cache/windows
wine=/usr/lib/wine/wine64
export WINEPREFIX=$cache/wine-prefix WINEDEBUG=-all
mkdir -p "$build"

# The prefix: a Windows 10 (node and newer programs refuse Wine's default, Windows 7), with the
# bcryptprimitives.dll that Rust's std needs and Wine 8 lacks (scripts/cross/processprng.c).
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "== a new Wine prefix in $WINEPREFIX"
  "$wine" wineboot -i >/dev/null 2>&1
  "$wine" winecfg -v win10 >/dev/null 2>&1
fi
x86_64-w64-mingw32-gcc -O2 -shared -o "$build/bcryptprimitives.dll" \
  "$root/scripts/cross/processprng.c" -ladvapi32
cp "$build/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"

# cargo runs each test binary through the runner, and assert_cmd puts the same runner in front of
# the miauth.exe a test starts; inside Wine a Unix program cannot be started, so the runner leaves
# the variable out of the test's environment.
runner=$build/runner
cat >"$runner" <<SH
#!/bin/sh
unset CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER
exec $wine "\$@"
SH
chmod +x "$runner"

# shellcheck disable=SC2034 # used by the scripts that source this
windows_cargo=(env CARGO_TARGET_DIR="$build"
  CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
  CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$runner"
  "${cross_cargo[@]}")
# shellcheck disable=SC2034
build_std=(--target "$target" "-Zbuild-std=std,panic_abort")
# shellcheck disable=SC2034
exe=$build/$target/debug/miauth.exe

winpath() { "$wine" winepath -w "$1" 2>/dev/null; }
