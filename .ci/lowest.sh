#!/usr/bin/env bash
# CI: run a representative part of the tests against the lowest versions setup.cfg
# declares for the core dependencies (and joserfc), so that a floor that is too low
# (aiohttp 3.12.0 lacks BytesPayload.as_bytes) fails here rather than for a user.
# Keep these pins equal to the ">=" floors in setup.cfg.
set -euo pipefail
cd "$(dirname "$0")/.."

FLOORS=(
  "aiohttp==3.12.2"
  "oauthlib==3.3.1"
  "quart==0.20.0"
  "joserfc==1.2.0"
)

VENV="$(mktemp -d)/lowest"
trap 'rm -rf "$(dirname "$VENV")"' EXIT
python -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
CONSTRAINTS="$(dirname "$VENV")/constraints.txt"
printf '%s\n' "${FLOORS[@]}" >"$CONSTRAINTS"
"$VENV/bin/python" -m pip install --quiet -c "$CONSTRAINTS" "${FLOORS[@]}" -e '.[test]'
"$VENV/bin/python" -m pip list 2>/dev/null | grep -iE '^(aiohttp|oauthlib|quart|joserfc) '

# The client (OAuth 1 and 2, OIDC) and the extension's login, refresh and OIDC paths:
# every dependency's API that the package uses is exercised, in a few minutes.
echo "== tests on the lowest declared versions"
timeout 600 "$VENV/bin/python" -m pytest -q -x -p no:randomly \
  tests/client \
  tests/ext/test_login_flow.py tests/ext/test_refresh.py tests/ext/test_oidc_login.py \
  tests/ext/test_oauth1_login.py tests/ext/test_require.py tests/ext/test_storage.py
