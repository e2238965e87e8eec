#!/usr/bin/env bash
# Installs the Debian packages that building and testing `posture` needs, if any are missing:
# FFmpeg's libraries and CLI (video decoding; the CLI is used by tests), libclang (bindgen for
# the FFmpeg and camera bindings), pkg-config, nasm (SIMD for the camera's MJPEG decoder), tmux
# (the test of `posture watch`'s status screen runs it in a terminal), chromium (the test of
# `posture report` renders its HTML headless to PNG and PDF).
#
# Installing packages needs root: as root it runs apt-get, else through sudo; without sudo it
# prints the one command to run as root and stops. Nothing is asked for when nothing is missing.
# POSTURE_EXTRA_PACKAGES (space-separated) adds packages to check (the tests use it).
set -euo pipefail

packages=(pkg-config libclang-dev libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
          libavdevice-dev ffmpeg nasm tmux chromium)
# shellcheck disable=SC2206  # words on purpose
packages+=(${POSTURE_EXTRA_PACKAGES:-})
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
command="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install-deps: Debian packages missing: ${missing[*]}" >&2
        echo "install-deps: installing them needs root and sudo is not here; as root run:" >&2
        echo "    $command" >&2
        exit 1
    fi
    sudo=(sudo)
fi
echo "installing Debian packages: ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
