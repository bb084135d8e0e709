# Sourced by scripts/serve and scripts/test: make .venv and install the project into it.
# Usage: ensure_venv [EXTRAS]  (optional-dependencies groups, comma-separated, e.g. "test" or
# "server,postgres,stripe"; `pip install bookiji` alone is the core library without the service)

ensure_venv() {
  local extra="${1:-}" spec="." python="${PYTHON:-python3}"
  [ -n "$extra" ] && spec=".[$extra]"
  if [ ! -x .venv/bin/python ]; then
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "Bookiji needs Python 3.11 or newer as '$python' (set PYTHON=/path/to/python3.11)" >&2
      return 1
    fi
    echo "Creating .venv with $("$python" --version)"
    "$python" -m venv .venv
  fi
  # Reinstall only when pyproject.toml changed since the last install of this extra.
  local stamp
  stamp=".venv/.installed-${extra:-base}-$(sha256sum pyproject.toml | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "Installing $spec into .venv"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e "$spec"
    rm -f .venv/.installed-"${extra:-base}"-*
    touch "$stamp"
  fi
}
