#!/usr/bin/env bash
# The rpm scenario (no QEMU; tests/e2e/kdump.sh rpm): ./build.sh --rpm's package, checked the way an operator meets
# it. rpmlint must report no error. Then `rpm --root` installs it into a scratch root (busybox for the scriptlets'
# shell, stubs for systemctl and kdumpctl that record their arguments) and the test asserts: the file list is what
# packaging/install.sh --initramfs dracut lays out (units moved to /usr/lib/systemd/system), `rpm -V` finds every file
# as packed, %post made the handoff key (32 bytes, 0600), enabled the units and ran `kdumpctl rebuild`; `rpm -e`
# disables them, rebuilds again and keeps the key.
# Usage: check.sh WORK   (prints "e2e: PASS rpm (...)" or "e2e: FAIL rpm: ..."; exit 0 on pass)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=$1
fail() { echo "e2e: FAIL rpm: $*"; exit 1; }
problems=()
need() { "${@:2}" >/dev/null 2>&1 || problems+=("$1"); }

"$repo/scripts/install-deps.sh" rpm rpmlint busybox-static >&2 || fail "installing rpm, rpmlint, busybox-static"
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n 1)
pkg="$repo/dist/preconfig-$version-1.x86_64.rpm"
"$repo/packaging/rpm/build-rpm.sh" > "$work/rpm-build.log" 2>&1 || { tail -n 5 "$work/rpm-build.log"; fail "packaging/rpm/build-rpm.sh"; }

# rpmlint: its own verdict line ("N packages and 0 specfiles checked; E errors, W warnings").
rpmlint -c "$repo/packaging/rpm/rpmlint.toml" "$pkg" > "$work/rpm.rpmlint" 2>&1
lint=$(grep -oE "[0-9]+ errors?, [0-9]+ warnings?" "$work/rpm.rpmlint" | tail -n 1)
errors=$(echo "$lint" | grep -oE '[0-9]+ errors?' | grep -oE '[0-9]+')
[ "${errors:-1}" = 0 ] || problems+=("rpmlint: ${lint:-no verdict}: $(grep -E ': E: ' "$work/rpm.rpmlint" | head -n 3 | tr '\n' ' ')")

# The scratch root: merged /usr, busybox for /bin/sh and the tools the scriptlets call, stubs for systemd and kdump.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,etc,dev,tmp,var/log,run/systemd/system}
ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"; ln -s usr/lib "$root/lib"
cp /bin/busybox "$root/usr/bin/busybox"
for a in sh mkdir head chmod chown mv dirname mktemp cat echo rm ls; do ln -s busybox "$root/usr/bin/$a"; done
mknod -m 666 "$root/dev/urandom" c 1 9
mknod -m 666 "$root/dev/null" c 1 3
for stub in systemctl kdumpctl; do
  printf '#!/bin/sh\necho "%s $*" >> /var/log/calls\n' "$stub" > "$root/usr/bin/$stub"
  chmod 0755 "$root/usr/bin/$stub"
done

rpm --root "$root" --initdb
rpm --root "$root" -i --nodeps "$pkg" > "$work/rpm-install.log" 2>&1 || problems+=("rpm -i failed: $(tail -n 2 "$work/rpm-install.log" | tr '\n' ' ')")

# The file list against the layout packaging/install.sh gives a dracut host.
expect=$(mktemp -d)
sh "$repo/packaging/install.sh" --destdir "$expect" --initramfs dracut >/dev/null
want=$( (cd "$expect" && find . -type f | sed -e 's:^\.::' -e 's:^/lib/systemd/:/usr/lib/systemd/:'; \
        echo /usr/share/man/man1/preconfig.1.gz; echo /usr/share/licenses/preconfig/LICENSE) | LC_ALL=C sort)
rm -rf "$expect"
got=$(rpm --root "$root" -ql preconfig 2>/dev/null | while read -r f; do [ -d "$root$f" ] || echo "$f"; done | LC_ALL=C sort)
missing=$(comm -23 <(echo "$want") <(echo "$got") | tr '\n' ' ')
extra=$(comm -13 <(echo "$want") <(echo "$got") | tr '\n' ' ')
[ -z "$missing$extra" ] || problems+=("file list: missing [${missing}] unexpected [${extra}]")
verify=$(rpm --root "$root" -V --nodeps preconfig 2>&1)
[ -z "$verify" ] || problems+=("rpm -V: $(echo "$verify" | head -n 3 | tr '\n' ' ')")
for f in /usr/bin/preconfig /usr/lib/dracut/modules.d/90preconfig/module-setup.sh /etc/kdump/post.d/preconfig \
         /usr/lib/preconfig/preconfig-boot /usr/lib/preconfig/preconfig-kdump-record; do
  need "$f is not executable in the root" test -x "$root$f"
done

# %post: the key, the units, kdump's initramfs.
key="$root/etc/preconfig/handoff.key"
need "%post made no handoff key" test -f "$key"
[ -f "$key" ] && { [ "$(stat -c %s "$key")" = 32 ] && [ "$(stat -c %a "$key")" = 600 ] || problems+=("handoff key: $(stat -c '%s bytes, mode %a' "$key"), not 32 bytes, 0600"); }
calls=$(cat "$root/var/log/calls" 2>/dev/null)
need "%post did not enable preconfig.service and preconfig-kdump-reload.path" grep -qx 'systemctl --no-reload enable preconfig.service preconfig-kdump-reload.path' <<<"$calls"
need "%post did not run kdumpctl rebuild" grep -qx 'kdumpctl rebuild' <<<"$calls"
post_calls=$(echo "$calls" | wc -l)

# rpm -e: %preun disables, %postun rebuilds kdump's initramfs without the module; the key stays.
: > "$root/var/log/calls"
rpm --root "$root" -e preconfig > "$work/rpm-erase.log" 2>&1 || problems+=("rpm -e failed: $(tail -n 2 "$work/rpm-erase.log" | tr '\n' ' ')")
calls=$(cat "$root/var/log/calls" 2>/dev/null)
need "%preun did not disable the units" grep -qx 'systemctl --no-reload disable --now preconfig.service preconfig-kdump-reload.path' <<<"$calls"
need "%postun did not run kdumpctl rebuild" grep -qx 'kdumpctl rebuild' <<<"$calls"
need "rpm -e left /usr/bin/preconfig" test ! -e "$root/usr/bin/preconfig"
need "rpm -e removed the handoff key (it must stay, as on Debian until purge)" test -f "$key"

files=$(echo "$got" | grep -c .)
if [ ${#problems[@]} -gt 0 ]; then
  echo "e2e: FAIL rpm: $(printf '%s; ' "${problems[@]}")(rpmlint: ${lint:-?})"
  exit 1
fi
echo "e2e: PASS rpm ($(basename "$pkg") $(du -k "$pkg" | cut -f1) KiB, $files files; rpmlint: $lint; %post: key 32 bytes 0600, $post_calls calls incl. enable and kdumpctl rebuild; rpm -V clean; rpm -e: disabled, rebuilt, key kept)"
