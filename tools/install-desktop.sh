#!/usr/bin/env bash
# Install a launcher and the icon for the current user (no root needed).
# Usage: tools/install-desktop.sh [PATH-TO-kapcompanion]   (default: the bundle in dist/, else .venv)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
exe="${1:-}"
if [ -z "$exe" ]; then
  exe="$(ls -d "$root"/dist/kapcompanion-*/kapcompanion 2>/dev/null | tail -n 1 || true)"
  [ -n "$exe" ] || exe="$root/.venv/bin/kapcompanion"
fi
[ -x "$exe" ] || { echo "No kapcompanion executable at $exe: run 'make bundle' or 'make deps' first." >&2; exit 1; }
data="${XDG_DATA_HOME:-$HOME/.local/share}"
icon_dir="$data/icons/hicolor/256x256/apps"
app_dir="$data/applications"
mkdir -p "$icon_dir" "$app_dir"
install -m 0644 "$root/resources/icons/kapcompanion-256.png" "$icon_dir/kapcompanion.png"
sed -e "s|@EXEC@|\"$exe\"|" -e "s|@ICON@|kapcompanion|" "$root/packaging/kapcompanion.desktop.in" \
  > "$app_dir/kapcompanion.desktop.tmp"
mv "$app_dir/kapcompanion.desktop.tmp" "$app_dir/kapcompanion.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$app_dir" || true
echo "Installed $app_dir/kapcompanion.desktop (runs $exe)"
