#!/usr/bin/env bash
# Regenerates the single initial migration from the models. Only for use until the first release:
# after that, schema changes get a new revision (`alembic revision --autogenerate`) instead.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
tmp=$(mktemp -d)
rm -f market/migrations/versions/0001_initial*.py
"$PY" - "$tmp" <<'PYEOF'
import sys
from alembic import command
from market.migrations import alembic_config
cfg = alembic_config(f"sqlite:///{sys.argv[1]}/empty.sqlite3")
command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001_initial")
PYEOF
rm -rf "$tmp"
mv market/migrations/versions/0001_initial_*.py market/migrations/versions/0001_initial.py
echo "wrote market/migrations/versions/0001_initial.py"
