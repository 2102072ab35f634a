#!/bin/sh
# Everything the tests need, on a fresh machine: README's second command runs `sh tests/setup.sh && pytest`.
#
# System packages (Debian names): Xvfb and xauth give tests/test_screen.py a real X display; Debian's Chromium
# (/usr/bin/chromium, driven by Playwright, which never downloads a browser here) plays the MP4/WebM outputs and
# the HTML gallery in tests/test_video.py and tests/test_gallery.py, with a font for its page text
# (fonts-liberation is only a recommendation of chromium). fonts-noto-cjk gives matplotlib the CJK families of
# tests/test_fonts.py and the Chinese specs ("Noto Sans CJK JP", "… SC", "… KR", …: faces of one .ttc, which
# matplotlib >= 3.11 lists face by face); a font installed after matplotlib built its font cache is found by
# scenespec itself (scenespec/fonts/installed.py), so no cache needs deleting. ffmpeg comes with the imageio-ffmpeg
# wheel.
# Then the Python test extra (pinned matplotlib for the image baselines, pytest, ruff, mypy, torch, Playwright, …).
#
# Idempotent and quiet: packages already installed are not fetched again (no apt-get update either), so a second
# run only asks pip, which has nothing to do. It lives in tests/ because it serves the tests alone.
set -eu
cd "$(dirname "$0")/.."

PACKAGES="xvfb xauth chromium fonts-dejavu-core fonts-noto-cjk"

missing=""
for package in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q "^install ok installed$"; then
    missing="$missing $package"
  fi
done

if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    as_root=""
  elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
  else
    as_root="none"
  fi
  if ! command -v apt-get >/dev/null 2>&1 || [ "$as_root" = none ]; then
    echo "tests/setup.sh: cannot install the system packages the browser, window and font tests need:$missing" >&2
    if command -v apt-get >/dev/null 2>&1; then
      echo "  (not root, and no sudo): ask an administrator for: apt-get install$missing" >&2
    else
      echo "  (no apt-get): install their equivalents with this system's package manager" >&2
    fi
    echo "  Those tests fail, saying what is missing, until then; the Python test extra is installed now." >&2
  else
    echo "tests/setup.sh: installing$missing" >&2
    # $as_root is empty or "sudo"; unquoted on purpose so that an empty value adds no argument.
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
fi

pip install -q -e '.[test]'
