#!/usr/bin/env bash
# Starts a local MLflow tracking server for cascade: 127.0.0.1, a SQLite backend store and
# proxied artifacts, both under .cascade/mlflow. Stop it with Ctrl+C.
#
#   scripts/mlflow-server.sh [--port 5000] [--data DIR] [--mlflow PATH]
#
# The mlflow executable is CASCADE_MLFLOW_BIN, else `mlflow` on PATH. Install it with
#   python3 -m venv .cascade/mlflow-venv && .cascade/mlflow-venv/bin/pip install mlflow
set -euo pipefail

port=5000
data_dir=".cascade/mlflow"
mlflow_bin="${CASCADE_MLFLOW_BIN:-}"

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --port)
      port="${2:?--port needs a value}"
      shift 2
      ;;
    --data)
      data_dir="${2:?--data needs a directory}"
      shift 2
      ;;
    --mlflow)
      mlflow_bin="${2:?--mlflow needs the path of the mlflow executable}"
      shift 2
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "mlflow-server.sh: unknown option '$1'" >&2
      usage >&2
      exit 2
      ;;
  esac
done

if ! [[ "$port" =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
  echo "mlflow-server.sh: --port must be a number from 1 to 65535, received '$port'" >&2
  exit 2
fi

if [ -z "$mlflow_bin" ]; then
  if command -v mlflow >/dev/null 2>&1; then
    mlflow_bin="$(command -v mlflow)"
  elif [ -x .cascade/mlflow-venv/bin/mlflow ]; then
    mlflow_bin=".cascade/mlflow-venv/bin/mlflow"
  else
    echo "mlflow-server.sh: no mlflow executable found. Install it with" >&2
    echo "  python3 -m venv .cascade/mlflow-venv && .cascade/mlflow-venv/bin/pip install mlflow" >&2
    echo "or set CASCADE_MLFLOW_BIN to its path." >&2
    exit 1
  fi
fi

mkdir -p "$data_dir/artifacts"
data_dir="$(cd "$data_dir" && pwd)"

echo "MLflow UI and API: http://127.0.0.1:$port (data in $data_dir)"
echo "Point cascade at it with: export MLFLOW_TRACKING_URI=http://127.0.0.1:$port"
# No usage telemetry; the background job runner is not needed for tracking.
export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false
exec "$mlflow_bin" server \
  --host 127.0.0.1 \
  --port "$port" \
  --backend-store-uri "sqlite:///$data_dir/mlflow.db" \
  --serve-artifacts \
  --artifacts-destination "$data_dir/artifacts" \
  --workers 1
