#!/usr/bin/env bash
# Refresh the pinned front-end assets under src/frontline/core/static/vendor/ from the npm
# registry. The files are committed, so neither the demo nor CI needs npm; run this only to
# change a version (and commit the result).
set -euo pipefail
BOOTSTRAP=5.3.8
BOOTSTRAP_ICONS=1.13.1
HTMX=2.0.7
CHARTJS=4.5.1

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/src/frontline/core/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for spec in "bootstrap@$BOOTSTRAP" "bootstrap-icons@$BOOTSTRAP_ICONS" "htmx.org@$HTMX" "chart.js@$CHARTJS"; do
  npm pack --silent "$spec" >/dev/null
done
for tgz in *.tgz; do mkdir -p "${tgz%.tgz}" && tar -xzf "$tgz" -C "${tgz%.tgz}"; done
rm -rf "$dest" && mkdir -p "$dest"/{bootstrap,bootstrap-icons/fonts,htmx,chartjs}
cp bootstrap-$BOOTSTRAP/package/dist/css/bootstrap.min.css bootstrap-$BOOTSTRAP/package/dist/css/bootstrap.rtl.min.css "$dest/bootstrap/"
cp bootstrap-$BOOTSTRAP/package/dist/js/bootstrap.bundle.min.js "$dest/bootstrap/"
cp bootstrap-$BOOTSTRAP/package/LICENSE "$dest/bootstrap/LICENSE"
cp bootstrap-icons-$BOOTSTRAP_ICONS/package/font/bootstrap-icons.min.css "$dest/bootstrap-icons/"
cp bootstrap-icons-$BOOTSTRAP_ICONS/package/font/fonts/bootstrap-icons.woff2 bootstrap-icons-$BOOTSTRAP_ICONS/package/font/fonts/bootstrap-icons.woff "$dest/bootstrap-icons/fonts/"
cp bootstrap-icons-$BOOTSTRAP_ICONS/package/LICENSE "$dest/bootstrap-icons/LICENSE"
cp htmx.org-$HTMX/package/dist/htmx.min.js "$dest/htmx/"
cp htmx.org-$HTMX/package/LICENSE "$dest/htmx/LICENSE"
cp chart.js-$CHARTJS/package/dist/chart.umd.min.js "$dest/chartjs/"
cp chart.js-$CHARTJS/package/LICENSE.md "$dest/chartjs/LICENSE.md"
cat > "$dest/VERSIONS" <<VERSIONS
bootstrap $BOOTSTRAP
bootstrap-icons $BOOTSTRAP_ICONS
htmx.org $HTMX
chart.js $CHARTJS
VERSIONS
echo "vendored into $dest"
