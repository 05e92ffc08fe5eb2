#!/usr/bin/env bash
# Builds the Breakwater Debian package in one command, on Debian 12 with the Swift toolchain
# on PATH:
#
#   bash Packaging/build-deb.sh [OUTPUT_DIR]        (default: Packaging/build)
#
# Installs missing build dependencies with apt-get (as root), copies the source tree to a
# temporary folder with Packaging/debian as its debian/, runs `dpkg-buildpackage -b -us -uc`,
# runs lintian on the .deb and the .changes (fails on any error), and leaves
# breakwater_<version>_<arch>.deb (with the dbgsym .deb, .changes and .buildinfo) in OUTPUT_DIR.
# KEEP_BUILD_TREE=1 keeps the temporary folder for inspection.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/Packaging/build}
mkdir -p "$out"
out=$(cd "$out" && pwd)

log() { printf '\n== %s\n' "$*"; }
die() { echo "build-deb: $*" >&2; exit 1; }

command -v swift >/dev/null || die "swift is not on PATH (the Swift 6 toolchain is not a Debian package; install it and put its usr/bin on PATH)"

# Build-Depends of debian/control, plus the tools this script runs.
need=(build-essential dpkg-dev debhelper lintian git libc6-dev libhiredis-dev libmilter-dev libstdc++-12-dev pkg-config)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing build dependencies: ${missing[*]}"
  [[ $(id -u) -eq 0 ]] || die "need root to apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

version=$(dpkg-parsechangelog -l "$repo/Packaging/debian/changelog" -S Version)
upstream=${version%-*}
arch=$(dpkg --print-architecture)

work=$(mktemp -d /tmp/breakwater-deb.XXXXXX)
if [[ ${KEEP_BUILD_TREE:-0} == 1 ]]; then
  echo "build tree kept in $work"
else
  trap 'rm -rf "$work"' EXIT
  trap 'exit 130' INT TERM
fi
src=$work/breakwater-$upstream

log "laying out the source tree in $src"
mkdir -p "$src"
# why: the working tree, not only what git tracks, is what CI has just tested; but only
# files git would take (tracked, or new and not ignored) and none inside a hidden folder
# below the top (.build*, .swiftpm, Fuzz/.out: scratch that may change while we copy).
# Package.resolved (ignored) pins the dependencies.
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$repo" && { git ls-files -z --cached --others --exclude-standard; printf 'Package.resolved\0'; }) \
    | while IFS= read -r -d '' f; do
        [[ $f == */.* || $f == .*/*/* ]] && continue
        [[ -f $repo/$f ]] && printf '%s\0' "$f"
      done \
    | tar -C "$repo" --null --no-recursion --ignore-failed-read -T - -cf - \
    | tar -C "$src" -xf -
else
  tar -C "$repo" -cf - \
    --exclude=./.git --exclude='./.build' --exclude='./.build-*' --exclude='./.build_*' \
    --exclude=./.swiftpm --exclude=./Packaging/build --exclude=./bench-out \
    --exclude='*.deb' --exclude='*.changes' --exclude='*.buildinfo' . \
    | tar -C "$src" -xf -
fi
rm -rf "$src/debian"
cp -a "$repo/Packaging/debian" "$src/debian"
rm -rf "$src/debian/swift-build" "$src/debian/.debhelper"
[[ -f $src/Packaging/breakwater.conf ]] || die "Packaging/breakwater.conf (the default config the package installs) is missing"

log "dpkg-buildpackage -b -us -uc ($version, $arch)"
(cd "$src" && dpkg-buildpackage -b -us -uc)

deb=$work/breakwater_${version}_${arch}.deb
changes=$work/breakwater_${version}_${arch}.changes
[[ -f $deb ]] || die "dpkg-buildpackage did not produce $deb"

log "lintian $(basename "$deb") $(basename "$changes")"
# Checking the .changes checks every file it lists: both .debs (with the dbgsym) and the
# .buildinfo. Errors fail the build; warnings must be overridden in
# debian/breakwater.lintian-overrides with a reason, and are printed here for the record.
lintian_status=0
lintian --display-info --fail-on error "$changes" || lintian_status=$?

cp -f "$work"/*.deb "$changes" "$work"/*.buildinfo "$out"/
log "built $out/$(basename "$deb")"
dpkg-deb --info "$out/$(basename "$deb")" | sed -n '/Package:/,$p'
((lintian_status == 0)) || die "lintian reported errors (exit $lintian_status)"
