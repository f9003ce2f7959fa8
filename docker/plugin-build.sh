#!/usr/bin/env bash
# Builds the custom panel plugin for the compose stack: the `plugin-build` service runs this once per
# `docker compose up` and Grafana starts after it exits successfully.
#
#   PLUGIN_SRC  the plugin's source folder (mounted read-only; its node_modules/ and dist/ are ignored)
#   PLUGIN_OUT  where the built plugin goes (a volume Grafana mounts as its plugin folder)
#   BUILD_DIR   a persistent work folder (keeps node_modules between runs)
#
# Nothing is written into the source checkout. When the sources have not changed since the last build
# (same checksum), it exits at once; when package-lock.json has not changed, `npm ci` is skipped.
set -euo pipefail

src="${PLUGIN_SRC:-/src}"
out="${PLUGIN_OUT:-/out}"
work="${BUILD_DIR:-/cache/work}"
log() { echo "plugin-build: $*"; }

[ -f "$src/package-lock.json" ] || { log "no package-lock.json in $src: mount the plugin's folder there" >&2; exit 1; }

# Checksum of every source file (path and content), skipping what builds produce.
source_files() {
  (cd "$src" && find . -type f \
    -not -path './node_modules/*' -not -path './dist/*' -not -path './coverage/*' -not -path './test-artifacts/*' \
    -not -name '.eslintcache' -not -name '*.log' -print0 | LC_ALL=C sort -z)
}
checksum=$(cd "$src" && source_files | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)

if [ -f "$out/plugin.json" ] && [ -f "$out/module.js" ] && [ "$(cat "$out/.source-sha256" 2>/dev/null)" = "$checksum" ]; then
  log "up to date (sources ${checksum:0:12}), nothing to do"
  exit 0
fi

log "building from sources ${checksum:0:12}"
mkdir -p "$work"
# Fresh copy of the sources; node_modules stays for reuse.
find "$work" -mindepth 1 -maxdepth 1 -not -name node_modules -exec rm -rf {} +
(cd "$src" && source_files | tar --null --files-from=- -cf -) | tar -C "$work" -xf -

lock_sum=$(sha256sum "$work/package-lock.json" | cut -d' ' -f1)
cd "$work"
if [ -d node_modules ] && [ "$(cat node_modules/.lock-sha256 2>/dev/null)" = "$lock_sum" ]; then
  log "dependencies up to date"
else
  log "installing dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" >node_modules/.lock-sha256
fi

npm run build

for file in plugin.json module.js; do
  [ -f "dist/$file" ] || { log "the build produced no dist/$file" >&2; exit 1; }
done

# Replace the output in one go, readable by Grafana's non-root user.
mkdir -p "$out"
find "$out" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
cp -R dist/. "$out/"
chmod -R a+rX "$out"
echo "$checksum" >"$out/.source-sha256"
log "built $(grep -o '"id": *"[^"]*"' "$out/plugin.json" | head -n 1) into $out"
