#!/usr/bin/env bash
# Runs image_test.py (python3 from the system, as the image genrule uses).
set -euo pipefail
exec python3 "$2" --image "$1" --make_image "$3"
