# syntax=docker/dockerfile:1
# Trust Monitor: the monitor in a virtual environment on a slim Python 3.11 base, run as a non-root user.
#   docker build -t trust-monitor .                                          # every endpoint kind but hf-local
#   docker build -t trust-monitor:hf --build-arg EXTRAS=postgres,hf-local .  # + torch (CPU) for kind hf-local
# torch is installed only when EXTRAS names hf-local or demo. The gRPC stubs are generated from protos/ while the
# wheel is built (setup.py), never copied from a working tree (.dockerignore). deploy/docker/check_dockerfile.py
# runs these build steps in a fresh venv on the host and starts the result (tests/deploy/test_dockerfile.py).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG EXTRAS=postgres
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV VENV=/opt/trust-monitor \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
ENV PATH="${VENV}/bin:${PATH}"
WORKDIR /src
RUN python3 -m venv "$VENV" && pip install --quiet --upgrade pip setuptools wheel
# A plain 'torch' requirement would pull a multi-GB CUDA build: the CPU build is installed first, pinned.
RUN case ",$EXTRAS," in \
      *,hf-local,*|*,demo,*) pip install --quiet --index-url "$TORCH_INDEX_URL" "torch==$TORCH_VERSION" ;; \
      *) echo "no torch (EXTRAS=$EXTRAS)" ;; \
    esac
COPY pyproject.toml setup.py README.md ./
COPY protos/ protos/
COPY probes/ probes/
COPY monitor/ monitor/
RUN pip install --quiet ".[$EXTRAS]" \
 && python -c "import monitor.api._generated.trust_monitor.v1.trust_monitor_pb2_grpc" \
 && trust-monitor probes list >/dev/null \
 && python -m probes.scoring.offensive_export

FROM ${PYTHON_IMAGE} AS runtime
ARG UID=10001
ENV VENV=/opt/trust-monitor
ENV PATH="${VENV}/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TRUST_MONITOR_READYZ_URL=http://127.0.0.1:9464/readyz
# check_dockerfile: skip (the system user and its folders: root-only changes to the image, none of the monitor's)
RUN groupadd --system --gid "$UID" trust-monitor \
 && useradd --system --uid "$UID" --gid trust-monitor --home-dir /var/lib/trust-monitor --no-create-home \
      --shell /usr/sbin/nologin trust-monitor \
 && install -d -o trust-monitor -g trust-monitor -m 0750 /var/lib/trust-monitor \
 && install -d -m 0755 /etc/trust-monitor
COPY --from=build /opt/trust-monitor /opt/trust-monitor
WORKDIR /var/lib/trust-monitor
USER ${UID}:${UID}
VOLUME ["/var/lib/trust-monitor"]
# gRPC API and /metrics, /healthz, /readyz: the config's server.grpc_listen and server.http_listen defaults.
# Listen on 0.0.0.0 in the mounted config; a different http port needs TRUST_MONITOR_READYZ_URL changed too.
EXPOSE 50051 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['TRUST_MONITOR_READYZ_URL'], timeout=4)"]
ENTRYPOINT ["trust-monitor"]
CMD ["serve", "--config", "/etc/trust-monitor/config.yaml"]
