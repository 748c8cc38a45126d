#!/usr/bin/env bash
# Starts the demo until Ctrl-C: a real Triton server serving version 1 of the tiny demo model from a model
# repository, the monitor, and (when installed) Prometheus with the shipped alert rules and Alertmanager.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p var
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$BIN/python" deploy/demo_model/serve_repository.py --versions var/demo-versions --live 1 \
  --repository var/triton-repo --model-name llava_demo --grpc-port 8001 --http-port 8000 --metrics-port 8002 \
  >var/triton.log 2>&1 &
PIDS+=($!)
echo "starting Triton with version 1 of llava_demo (log: var/triton.log) ..."
for _ in $(seq 1 180); do
  grep -q "^READY" var/triton.log 2>/dev/null && break
  kill -0 "${PIDS[0]}" 2>/dev/null || { echo "Triton exited; see var/triton.log" >&2; tail -20 var/triton.log >&2; exit 1; }
  sleep 1
done
grep -q "^READY" var/triton.log || { echo "Triton not ready after 180s; see var/triton.log" >&2; exit 1; }

watch="the monitor's metrics: http://127.0.0.1:9464/metrics"
if command -v prometheus >/dev/null; then
  prometheus --config.file=deploy/prometheus/prometheus.yml --storage.tsdb.path=var/prometheus \
    --web.listen-address=127.0.0.1:9090 >var/prometheus.log 2>&1 &
  PIDS+=($!)
  watch="alerts in Prometheus: http://127.0.0.1:9090/alerts (rules: deploy/prometheus/rules/trust-alerts.yml)"
else
  echo "(Prometheus is not installed: 'make system-deps' installs it and Alertmanager; the demo runs without)"
fi
if command -v prometheus-alertmanager >/dev/null; then
  prometheus-alertmanager --config.file=deploy/alertmanager/alertmanager.yml --storage.path=var/alertmanager \
    --web.listen-address=127.0.0.1:9093 --cluster.listen-address= >var/alertmanager.log 2>&1 &
  PIDS+=($!)
  watch="$watch
                 notifications in Alertmanager: http://127.0.0.1:9093 (receivers are placeholders)"
fi

cat <<MSG
Triton ready: gRPC 127.0.0.1:8001, HTTP 127.0.0.1:8000, metrics 127.0.0.1:8002 (serving llava_demo version 1)
monitor: gRPC 127.0.0.1:50051; it runs the suite now and every 15 minutes, and checks the model every 30s.

  The unsafe update: once the first run has finished, roll out version 2 (trained to comply with harmful
  requests) the way Triton deployments do it, in another terminal:
      make demo-update        # = ln -s "\$PWD/var/demo-versions/2" var/triton-repo/llava_demo/2
  Roll back with 'make demo-rollback'. Follow the runs: .venv/bin/trust-monitor runs list --endpoint demo
  Watch for TrustRegression (safety, severity page):
                 $watch
(Ctrl-C stops everything)
MSG
"$BIN/trust-monitor" serve --config deploy/examples/demo.yaml
