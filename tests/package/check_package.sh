#!/usr/bin/env bash
# The LoRA Lab .deb package, checked the way a user gets it (installer/packaging.cmake).
#
#   check_package.sh build   BUILD_DIR SOURCE_DIR   builds the .deb with cpack and inspects it:
#       control fields and Depends (every Debian package behind the libraries the binaries link,
#       plus OpenBLAS), the file list, lintian (no errors; warnings are shown), the desktop file,
#       the AppStream metainfo, the icons, and a man page that covers every loralab-cli command.
#   check_package.sh install BUILD_DIR SOURCE_DIR   (root only; exit 77 = skipped otherwise)
#       installs that .deb with dpkg (which refuses unmet Depends), runs the installed
#       /usr/bin/loralab-cli on the bundled model and datasets from /usr/share/loralab, trains a
#       few steps in the installed GUI offscreen with nothing preselected, then removes the
#       package and checks its files are gone. The package is removed even when a step fails.
set -euo pipefail
mode=${1:?usage: check_package.sh build|install BUILD_DIR SOURCE_DIR}
build=$(cd "${2:?BUILD_DIR}" && pwd)
source=$(cd "${3:?SOURCE_DIR}" && pwd)
work=$build/package-test
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }

project_version() {
  sed -n 's/^project(LoRALab VERSION \([0-9.]*\).*/\1/p' "$source/CMakeLists.txt"
}
package_release() {
  sed -n 's/^set(LORALAB_PACKAGE_RELEASE \([0-9]*\)).*/\1/p' "$source/installer/packaging.cmake"
}
the_deb() {
  local debs=("$work"/deb/loralab_*.deb)
  [ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || die "expected one loralab_*.deb in $work/deb, found: ${debs[*]}"
  echo "${debs[0]}"
}
# Width and height of a PNG from its IHDR chunk.
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{print $3*256+$4 "x" $7*256+$8}'; }

build_and_inspect() {
  local version release arch deb info contents
  version=$(project_version)
  release=$(package_release)
  arch=$(dpkg --print-architecture)
  [ -n "$version" ] && [ -n "$release" ] || die "cannot read the version from CMakeLists.txt / packaging.cmake"
  rm -rf "$work/deb" "$work/root"
  mkdir -p "$work/deb"
  echo "== cpack (strips the binaries and compresses; ~1 min)"
  (cd "$build" && cpack -G DEB --config CPackConfig.cmake -B "$work/deb") > "$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log" >&2; die "cpack failed"; }
  deb=$(the_deb)
  [ "$(basename "$deb")" = "loralab_${version}-${release}_${arch}.deb" ] ||
    fail "package file name $(basename "$deb"), expected loralab_${version}-${release}_${arch}.deb"
  echo "package: $deb ($(du -h "$deb" | cut -f1))"

  echo "== dpkg-deb --info"
  info=$(dpkg-deb --info "$deb")
  echo "$info"
  field() { dpkg-deb --field "$deb" "$1"; }
  [ "$(field Package)" = loralab ] || fail "Package: $(field Package), expected loralab"
  [ "$(field Version)" = "${version}-${release}" ] || fail "Version: $(field Version), expected ${version}-${release}"
  [ "$(field Architecture)" = "$arch" ] || fail "Architecture: $(field Architecture), expected $arch"
  [ -n "$(field Maintainer)" ] || fail "no Maintainer field"
  [ "$(field Section)" = science ] || fail "Section: $(field Section), expected science"
  [ "$(dpkg-deb --field "$deb" Description | wc -l)" -ge 3 ] || fail "Description has no long description"
  local depends
  depends=$(field Depends | tr ',' '\n' | sed 's/^ *//; s/ *(.*//; s/ *|.*//')
  # Every package that owns a library the binaries link directly (NEEDED), for the libraries the
  # issue names; libraries those pull in come with their own packages' Depends.
  local needed=(libopenblas0-openmp)
  local bin name path real owner
  for bin in "$build/app/loralab-cli" "$build/app/loralab"; do
    [ -x "$bin" ] || continue
    while read -r name; do
      path=$(ldd "$bin" | awk -v n="$name" '$1 == n {print $3}')
      [ -n "$path" ] || { fail "$(basename "$bin") needs $name, which ldd cannot find"; continue; }
      real=$(readlink -f "$path")
      owner=$(dpkg -S "$real" 2>/dev/null | head -1 | cut -d: -f1) || true
      [ -n "$owner" ] || { fail "no Debian package owns $real (needed by $(basename "$bin"))"; continue; }
      needed+=("$owner")
    done < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
             grep -E '^lib(Qt6[A-Za-z]+|QCustomPlotQt6|torch|torch_cpu|c10|sqlite3|pcre2-8)\.')
  done
  local families
  families=$(printf '%s\n' "${needed[@]}" | sort -u)
  for p in $families; do
    grep -qx "$p" <<<"$depends" && ok "Depends has $p" || fail "Depends lacks $p"
  done
  for p in libtorch1.13 libqcustomplot2.1-qt6 libqt6widgets6 libsqlite3-0 libpcre2-8-0 libopenblas0-openmp; do
    grep -qx "$p" <<<"$families" || fail "expected $p among the linked libraries' packages (got: $(echo $families))"
  done

  echo "== dpkg-deb --contents"
  contents=$(dpkg-deb --contents "$deb" | awk '{print $6}' | sed 's|^\./|/|')
  local expected=(
    /usr/bin/loralab-cli
    /usr/share/loralab/models/base/config.json
    /usr/share/loralab/models/base/model.safetensors
    /usr/share/loralab/models/base/tokenizer.json
    /usr/share/loralab/datasets/fairy_tale/train.jsonl
    /usr/share/loralab/datasets/fairy_tale/validation.jsonl
    /usr/share/loralab/datasets/general/reference.jsonl
    /usr/share/man/man1/loralab-cli.1.gz
    /usr/share/doc/loralab/copyright
    /usr/share/doc/loralab/changelog.Debian.gz
  )
  local gui=0
  [ -x "$build/app/loralab" ] && gui=1
  if [ $gui -eq 1 ]; then
    expected+=(
      /usr/bin/loralab
      /usr/share/man/man1/loralab.1.gz
      /usr/share/applications/io.github.loralab.LoraLab.desktop
      /usr/share/metainfo/io.github.loralab.LoraLab.metainfo.xml
      /usr/share/icons/hicolor/scalable/apps/loralab.svg
    )
    for size in 16 32 48 64 128 256 512; do expected+=("/usr/share/icons/hicolor/${size}x${size}/apps/loralab.png"); done
  fi
  for style in everyday science_fiction mystery sea_adventure; do
    expected+=("/usr/share/loralab/datasets/$style/train.jsonl" "/usr/share/loralab/datasets/$style/validation.jsonl")
  done
  local missing=0
  for path in "${expected[@]}"; do
    grep -qx "$path" <<<"$contents" || { fail "package lacks $path"; missing=$((missing + 1)); }
  done
  grep -q '\.sh$' <<<"$contents" && fail "package holds a shell script: $(grep '\.sh$' <<<"$contents")"
  grep -qv '^/usr/' <<<"$(grep -v '^/$' <<<"$contents")" && fail "files outside /usr: $(grep -v '^/usr/' <<<"$contents" | grep -v '^/$')"
  [ $missing -eq 0 ] && ok "$(grep -c . <<<"$contents") entries, all ${#expected[@]} expected paths present"

  # The files as installed, for the validators.
  dpkg-deb -x "$deb" "$work/root"
  local root=$work/root
  local cli_help
  cli_help=$("$build/app/loralab-cli" --help)
  local man
  man=$(zcat "$root/usr/share/man/man1/loralab-cli.1.gz")
  for command in $(awk '/^  [a-z]/{print $1}' <<<"$cli_help"); do
    grep -q "^\.SS \"$(sed 's/-/\\\\-/g' <<<"$command")\b" <<<"$man" ||
      grep -q "^\.SS \"[a-z ]*|* *$(sed 's/-/\\\\-/g' <<<"$command")\b" <<<"$man" ||
      fail "loralab-cli.1 has no section for the command '$command' (see loralab-cli --help)"
  done
  ok "loralab-cli.1 covers $(awk '/^  [a-z]/' <<<"$cli_help" | wc -l) commands"
  if [ $gui -eq 1 ]; then
    local gui_help
    gui_help=$(QT_QPA_PLATFORM=offscreen "$build/app/loralab" --help 2>&1 || true)
    for flag in $(grep -o -- '--[a-z-]*' <<<"$gui_help" | sort -u); do
      [ "$flag" = --help-all ] && continue
      zcat "$root/usr/share/man/man1/loralab.1.gz" | grep -q -- "$(sed 's/-/\\\\-/g' <<<"$flag")" ||
        fail "loralab.1 does not describe $flag (see loralab --help)"
    done
    ok "loralab.1 covers the GUI's flags"
    local png size
    for png in "$root"/usr/share/icons/hicolor/*x*/apps/loralab.png; do
      size=$(basename "$(dirname "$(dirname "$png")")")
      [ "$(png_size "$png")" = "$size" ] || fail "$png is $(png_size "$png"), expected $size"
    done
    ok "PNG icons have their folder's size"
    local desktop=$root/usr/share/applications/io.github.loralab.LoraLab.desktop
    grep -qx 'Exec=loralab' "$desktop" || fail "desktop file: Exec is not loralab"
    grep -qx 'Icon=loralab' "$desktop" || fail "desktop file: Icon is not loralab"
    if command -v desktop-file-validate >/dev/null; then
      desktop-file-validate "$desktop" && ok "desktop-file-validate" || fail "desktop-file-validate $desktop"
    else
      echo "note: desktop-file-validate not installed (Debian: desktop-file-utils); desktop file not validated"
    fi
    local metainfo=$root/usr/share/metainfo/io.github.loralab.LoraLab.metainfo.xml
    grep -q "<release version=\"$version\"" "$metainfo" ||
      fail "metainfo has no <release version=\"$version\"> (add the release notes for this version)"
    if command -v appstreamcli >/dev/null; then
      appstreamcli validate --no-net "$metainfo" && ok "appstreamcli validate" || fail "appstreamcli validate $metainfo"
    else
      echo "note: appstreamcli not installed (Debian: appstream); metainfo not validated"
    fi
  fi
  local top=""
  [ -f "$root/usr/share/doc/loralab/changelog.Debian.gz" ] &&
    top=$(zcat "$root/usr/share/doc/loralab/changelog.Debian.gz" | head -1)
  [[ "$top" == "loralab (${version}-${release})"* ]] ||
    fail "changelog.Debian starts '$top', expected an entry for loralab (${version}-${release})"

  if command -v lintian >/dev/null; then
    echo "== lintian (errors fail the test; warnings are listed)"
    local out status=0
    out=$(lintian --fail-on error --display-info "$deb" 2>&1) || status=$?
    echo "$out"
    echo "lintian: $(grep -c '^E:' <<<"$out" || true) errors, $(grep -c '^W:' <<<"$out" || true) warnings, $(grep -c '^I:' <<<"$out" || true) info"
    [ $status -eq 0 ] || fail "lintian found errors (exit $status)"
  else
    echo "note: lintian not installed (Debian: lintian); package not linted"
  fi
}

marker=/var/tmp/loralab-package-test.installed

remove_package() {
  if dpkg-query -W -f='${Status}' loralab 2>/dev/null | grep -q "install ok installed"; then
    echo "== removing loralab"
    dpkg --purge loralab || echo "FAIL: dpkg --purge loralab failed" >&2
  fi
  rm -f "$marker"
}

install_and_use() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: installing the package needs root (CI runs as root); the build checks ran in package_build"
    exit 77
  fi
  # One test at a time on this machine, whichever build folder it runs from.
  exec 9>/var/tmp/loralab-package-test.lock
  flock -w 900 9 || die "another package test holds /var/tmp/loralab-package-test.lock"
  if dpkg-query -W -f='${Status}' loralab 2>/dev/null | grep -q "install ok installed"; then
    # A run killed by a timeout leaves the marker; anything else is somebody's real install.
    [ -f "$marker" ] || die "loralab $(dpkg-query -W -f='${Version}' loralab) is installed already and not by this test; remove it first (dpkg -r loralab)"
    echo "note: removing the loralab package an interrupted earlier run left installed"
    remove_package
  fi
  local deb
  deb=$(the_deb)
  local files
  files=$(dpkg-deb --contents "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./|/|')
  trap remove_package EXIT
  trap 'exit 1' INT TERM HUP  # so that the EXIT trap removes the package on a signal too
  touch "$marker"
  echo "== dpkg -i $(basename "$deb")"
  dpkg -i "$deb" || die "dpkg -i failed (unmet Depends are listed above)"
  dpkg-query -W -f='${Status}' loralab | grep -q "install ok installed" || die "loralab is not installed after dpkg -i"

  local tmp
  tmp=$(mktemp -d /tmp/loralab-package-test.XXXXXX)
  # From a neutral folder, with no override: only the installed share folder can supply resources.
  cd "$tmp"
  unset LORALAB_RESOURCES
  export HOME=$tmp/home XDG_DATA_HOME=$tmp/data XDG_CONFIG_HOME=$tmp/config
  mkdir -p "$HOME"

  echo "== /usr/bin/loralab-cli"
  /usr/bin/loralab-cli --version || fail "loralab-cli --version"
  local out
  out=$(/usr/bin/loralab-cli info /usr/share/loralab/models/base) || fail "loralab-cli info /usr/share/loralab/models/base"
  echo "$out"
  grep -q '"architecture":"LlamaForCausalLM"' <<<"$out" || fail "info: architecture is not LlamaForCausalLM"
  grep -q '"params":[1-9][0-9]\{5,\}' <<<"$out" || fail "info: no parameter count"
  out=$(/usr/bin/loralab-cli info bundled) || fail "loralab-cli info bundled"
  grep -q '"weights":"/usr/share/loralab/models/base/model.safetensors"' <<<"$out" ||
    fail "info bundled did not use the installed model: $out"
  grep -q '"tokenizer":"/usr/share/loralab/models/base/tokenizer.json"' <<<"$out" ||
    fail "info bundled: tokenizer not from /usr/share/loralab"
  ok "loralab-cli info bundled → /usr/share/loralab/models/base"
  out=$(/usr/bin/loralab-cli loss --model bundled --data bundled:fairy_tale --max-rows 4 --seq 64 --threads 1) ||
    fail "loralab-cli loss --model bundled --data bundled:fairy_tale"
  echo "$out"
  grep -q '"loss":[0-9]' <<<"$out" || fail "loss: no finite loss in $out"
  local error
  error=$(/usr/bin/loralab-cli loss --model bundled --data bundled:no_such_style 2>&1 >/dev/null) &&
    fail "loss on bundled:no_such_style succeeded"
  grep -q "fairy_tale" <<<"$error" || fail "an unknown bundled style does not list the styles: $error"
  ok "loralab-cli loss on the installed model and datasets; unknown style → $error"

  if [ -x /usr/bin/loralab ]; then
    echo "== /usr/bin/loralab offscreen: nothing preselected, 8 training steps, screenshot"
    cat > "$tmp/settings.ini" <<INI
[train]
output_root=$tmp/adapters
spec_json="{\"name\": \"package-run\", \"data\": {\"path\": \"x\"}, \"steps\": 8, \"batch\": 4, \"seq_len\": 32, \"eval_every\": 4, \"threads\": 1, \"lr\": 0.01}"
[store]
path=$tmp/store.sqlite
INI
    local status=0
    QT_QPA_PLATFORM=offscreen timeout 300 /usr/bin/loralab --settings "$tmp/settings.ini" --train \
      --screenshot "$tmp/window.png" --screenshot-delay 1500 > "$tmp/gui.log" 2>&1 || status=$?
    [ $status -eq 0 ] || { cat "$tmp/gui.log" >&2; fail "installed loralab exited $status"; }
    if [ -s "$tmp/window.png" ]; then
      cp "$tmp/window.png" "$work/installed-window.png"  # to look at after the test
      ok "screenshot $(png_size "$tmp/window.png") in $work/installed-window.png"
    else
      fail "no screenshot from the installed app"
    fi
    out=$(/usr/bin/loralab-cli runs --db "$tmp/store.sqlite" --json 2>&1) || fail "runs --db: $out"
    grep -q '"base_model_path":"/usr/share/loralab/models/base"' <<<"$out" ||
      fail "the GUI's run did not train the installed bundled model: $out"
    grep -q '"dataset_path":"/usr/share/loralab/datasets/fairy_tale/train.jsonl"' <<<"$out" ||
      fail "the GUI's run did not use the installed fairy-tale set: $out"
    grep -q '"status":"done"' <<<"$out" || fail "the GUI's run is not done: $out"
    ok "the installed app found and trained on /usr/share/loralab"
  fi
  if [ ! -f /usr/share/man/man1/loralab-cli.1.gz ]; then
    # Minimal container images tell dpkg to skip manual pages (path-exclude in dpkg.cfg.d).
    if grep -qs '^path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg /etc/dpkg/dpkg.cfg.d/*; then
      echo "note: dpkg on this machine excludes /usr/share/man; manual pages not checked installed"
    else
      fail "/usr/share/man/man1/loralab-cli.1.gz was not installed"
    fi
  elif command -v man >/dev/null; then
    [ "$(man -w loralab-cli 2>/dev/null)" = /usr/share/man/man1/loralab-cli.1.gz ] ||
      fail "man -w loralab-cli does not find /usr/share/man/man1/loralab-cli.1.gz"
  fi
  cd /
  rm -rf "$tmp"

  remove_package
  trap - EXIT
  dpkg-query -W -f='${Status}' loralab 2>/dev/null | grep -q "install ok installed" && fail "loralab still installed"
  local left=0 path
  for path in $files; do
    [ -e "$path" ] && { echo "left behind: $path" >&2; left=$((left + 1)); }
  done
  [ $left -eq 0 ] && ok "removed: none of the $(wc -w <<<"$files") packaged files is left" || fail "$left packaged files left after dpkg --purge"
  [ -e /usr/share/loralab ] && fail "/usr/share/loralab still exists"
  true
}

case "$mode" in
  build) build_and_inspect ;;
  install) install_and_use ;;
  *) die "mode '$mode': expected build or install" ;;
esac
if [ $failures -gt 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all package checks passed ($mode)"
