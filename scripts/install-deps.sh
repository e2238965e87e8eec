#!/usr/bin/env bash
# Installs the Debian packages that building and testing `posture` needs, if any are missing:
# FFmpeg's libraries and CLI (video decoding; the CLI is used by tests), libclang (bindgen for
# the FFmpeg and camera bindings), pkg-config, nasm (SIMD for the camera's MJPEG decoder), tmux
# (the test of `posture watch`'s status screen runs it in a terminal), chromium (the test of
# `posture report` renders its HTML headless to PNG and PDF).
set -euo pipefail

packages=(pkg-config libclang-dev libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
          libavdevice-dev ffmpeg nasm tmux chromium)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
