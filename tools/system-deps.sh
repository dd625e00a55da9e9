#!/usr/bin/env bash
# Install the Debian packages KAP Companion needs when they are missing and we can install them:
# libvlc for the music, the runtime libraries Qt's wheels load, and the tools the tests use.
# Without root or sudo it only says what is missing (the app still runs; music needs libvlc).
set -u
packages=(
  libvlc5 vlc-plugin-base                       # music through python-vlc
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
  libxcb-render-util0 libxcb-image0                # Qt's xcb platform plugin
  poppler-utils qpdf xvfb xauth dbus-daemon dbus-bin  # tests: PDF checks, a virtual display, D-Bus
)
command -v dpkg-query >/dev/null 2>&1 || exit 0  # not Debian: nothing to do here
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "Missing Debian packages (install them with sudo apt-get install): ${missing[*]}" >&2
  exit 0
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
