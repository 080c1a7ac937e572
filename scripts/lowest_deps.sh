#!/usr/bin/env bash
# The runtime on the oldest dependencies it declares (issue 14, item 2).
#
#   scripts/lowest_deps.sh        build .backends/lowest (once) and run the runtime tests in it
#
# The virtualenv holds boto3 and botocore 1.34.0 (the floor `boto3>=1.34` allows; the SDK
# AWS Lambda's Python runtimes have shipped), pydantic at its floor (2.6.0), moto 5.0.28 (the
# oldest moto that passes these tests on botocore 1.34: from 5.0.0, the first with `mock_aws`,
# to 5.0.27, moto answers a retried transactional delete differently), pytest, hypothesis and
# aws-xray-sdk. The project itself goes in with --no-deps, so nothing newer is
# pulled in. The tests are the runtime's, in process on moto: the generated example packages'
# writes, reads, transactions, paging and views, the signer, the wire format, the parser, the
# retry layer, botocore's event hooks and the default session. Not the compiler's (it needs
# the command line's dependencies, which Lambdas do not install).
#
# Environment: PYTHON (default python3) makes the virtualenv; extra arguments go to pytest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.backends/lowest"
PINS=(
    "boto3==1.34.0"
    "botocore==1.34.0"
    "pydantic==2.6.0"
    "moto==5.0.28"
    "pytest>=8"
    "hypothesis>=6.100"
    "aws-xray-sdk>=2.12"
)
PIP_FLAGS=(--quiet --disable-pip-version-check)
TESTS=(
    tests/test_signing.py
    tests/test_wire.py
    tests/test_fastjson.py
    tests/test_retry_layer.py
    tests/test_client_hooks.py
    tests/test_default_session.py
    tests/test_repository_writes.py
    tests/test_lost_responses.py
    tests/test_write_once.py
    tests/test_transact.py
    tests/test_batch.py
    tests/test_paging_cursors.py
    tests/test_paging_keys.py
    tests/test_paging_mutants.py
    tests/test_hostile_cursors.py
    tests/test_fault_matrix.py
    tests/test_runtime_fast_paths.py
)

log() { printf '[lowest] %s\n' "$*" >&2; }

# Whether the virtualenv holds exactly the `==` pins of PINS.
pinned() {
    "$VENV/bin/python" - "${PINS[@]}" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version
wanted = dict(pin.split("==") for pin in sys.argv[1:] if "==" in pin)
raise SystemExit(any(version(name) != pin for name, pin in wanted.items()))
EOF
}

if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV"
    mkdir -p "$ROOT/.backends"
    "$PYTHON" -m venv "$VENV"
fi
if ! pinned; then
    log "installing ${PINS[*]}"
    "$VENV/bin/python" -m pip install "${PIP_FLAGS[@]}" "${PINS[@]}"
fi
"$VENV/bin/python" -m pip install "${PIP_FLAGS[@]}" --no-deps -e "$ROOT"
pinned || { log "the pins did not hold"; exit 1; }
"$VENV/bin/python" -c 'import boto3, botocore, pydantic, moto; print("[lowest] boto3", boto3.__version__, "botocore", botocore.__version__, "pydantic", pydantic.VERSION, "moto", moto.__version__)' >&2
cd "$ROOT"
DYNAMODEL_BACKENDS=moto "$VENV/bin/python" -m pytest -q -p no:cacheprovider "${TESTS[@]}" "$@"
