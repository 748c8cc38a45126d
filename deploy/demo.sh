#!/usr/bin/env bash
# Starts the demo: a real Triton server hosting the tiny offline LLaVA, then the monitor, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p var
"$BIN/python" deploy/demo_model/serve_triton.py --model-dir var/demo-model --model-name llava_demo \
  --grpc-port 8001 --http-port 8000 --metrics-port 8002 --workspace var/triton-workspace \
  >var/triton.log 2>&1 &
TRITON_PID=$!
cleanup() { kill -TERM "$TRITON_PID" 2>/dev/null || true; wait "$TRITON_PID" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
echo "starting Triton (log: var/triton.log) ..."
for _ in $(seq 1 120); do
  if grep -q "ready" var/triton.log 2>/dev/null && "$BIN/python" - <<'PY' 2>/dev/null; then break; fi
import sys, tritonclient.grpc as g
c = g.InferenceServerClient("127.0.0.1:8001")
sys.exit(0 if c.is_model_ready("llava_demo") else 1)
PY
  kill -0 "$TRITON_PID" 2>/dev/null || { echo "Triton exited; see var/triton.log" >&2; tail -20 var/triton.log >&2; exit 1; }
  sleep 1
done
echo "Triton ready: gRPC 127.0.0.1:8001, HTTP 127.0.0.1:8000"
echo "monitor: gRPC 127.0.0.1:50051, metrics http://127.0.0.1:9464/metrics  (Ctrl-C to stop)"
"$BIN/trust-monitor" serve --config deploy/examples/demo.yaml
