#!/usr/bin/env bash
# Builds the .deb with CPack from the build tree and checks it with dpkg-deb (never installs
# it): control fields, Depends from dpkg-shlibdeps, the file list, conffiles and the maintainer
# scripts.
set -euo pipefail
build=${1:?usage: check_deb.sh BUILD_DIR}
out=$(mktemp -d /tmp/herald-deb-XXXXXX)
trap 'rm -rf "$out"' EXIT
fail=0
check() { if ! grep -qE -- "$2" <<<"$1"; then echo "FAIL: $3 (no match for '$2')"; fail=1; fi; }

(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) || { cat "$out/cpack.log"; exit 1; }
deb=$(ls "$out"/herald_*.deb)
echo "built $(basename "$deb")"

info=$(dpkg-deb -I "$deb")
check "$info" '^ Package: herald$' "package name"
check "$info" '^ Version: [0-9]+\.[0-9]+\.[0-9]+' "version"
check "$info" '^ Architecture: amd64$' "architecture"
check "$info" '^ Maintainer: .+<.+@.+>' "maintainer"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for dep in adduser libc6 libstdc\\+\\+6 libhiredis0.14 libcurl4 libsystemd0 libyaml-cpp0.7 \
           libprometheus-cpp-core1.0 libspdlog1.10 libboost-json1.81.0 libicu72; do
  check "$depends" "(^|, )$dep" "Depends names $dep"
done
check "$depends" 'libc6 \(>= ' "versioned libc6 dependency (dpkg-shlibdeps)"

files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/herald ./usr/lib/systemd/system/herald.service ./etc/herald/herald.yaml \
         ./etc/herald/templates/decision_dispatched.yaml ./usr/share/man/man1/herald.1.gz \
         ./usr/share/doc/herald/README.md ./usr/share/doc/herald/dashboards/herald-grafana.json \
         ./usr/share/doc/herald/dashboards/herald-alerts.yml; do
  check "$files" "^${f//./\\.}$" "file $f in the package"
done
if grep -qE '^\./(tmp|home|root|usr/local)/' <<<"$files"; then echo "FAIL: stray paths"; fail=1; fi

ctrl="$out/control"
dpkg-deb -e "$deb" "$ctrl"
conffiles=$(cat "$ctrl/conffiles")
check "$conffiles" '^/etc/herald/herald.yaml$' "herald.yaml is a conffile"
check "$conffiles" '^/etc/herald/templates/decision_dispatched.yaml$' "templates are conffiles"
for s in postinst prerm postrm; do
  [[ -x "$ctrl/$s" ]] || { echo "FAIL: $s missing or not executable"; fail=1; continue; }
  sh -n "$ctrl/$s" || { echo "FAIL: $s is not valid sh"; fail=1; }
done
check "$(cat "$ctrl/postinst")" 'adduser --system .*herald' "postinst creates the system user"
check "$(cat "$ctrl/postinst")" "deb-systemd-helper enable 'herald.service'" "postinst enables the unit"
check "$(cat "$ctrl/postinst")" "deb-systemd-invoke \\\$_dh_action 'herald.service'" "postinst starts the unit"
check "$(cat "$ctrl/prerm")" "deb-systemd-invoke stop 'herald.service'" "prerm stops the unit"
check "$(cat "$ctrl/postrm")" "deb-systemd-helper purge 'herald.service'" "postrm purges the unit's state"

# The packaged unit names the packaged binary.
dpkg-deb -x "$deb" "$out/root"
check "$(cat "$out/root/usr/lib/systemd/system/herald.service")" '^ExecStart=/usr/bin/herald run' \
  "the unit starts /usr/bin/herald"
"$out/root/usr/bin/herald" check-config --config "$out/root/etc/herald/herald.yaml" ||
  { echo "FAIL: the packaged example config does not pass check-config"; fail=1; }
((fail == 0)) && echo "package ok"
exit $fail
