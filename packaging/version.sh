# Sourced by the package builders (deb/build-deb.sh, rpm/build-rpm.sh), with $repo and $me (the builder's name) set,
# and $dist when the binaries are not in dist/ (an arm64 build's dist/linux-arm64):
# $version from Directory.Build.props, and the binaries ./build.sh publishes must be there.
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n 1)
[ -n "$version" ] || { echo "$me: no <Version> in Directory.Build.props" >&2; exit 2; }
dist=${dist:-$repo/dist}
[ -x "$dist/preconfig" ] || { echo "$me: $dist/preconfig missing: run ./build.sh first" >&2; exit 2; }
