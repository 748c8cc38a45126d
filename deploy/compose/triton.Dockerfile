# syntax=docker/dockerfile:1
# NVIDIA's Triton Inference Server image with what the demo model's Python backend imports: torch (CPU build),
# transformers, and the monitor's own loader (monitor/adapters/_hf_generate.py, on PYTHONPATH) that
# deploy/demo_model/triton_model.py uses. Built from the repository root (docker-compose.yml: context ../..).
# The model repository is not in the image: compose mounts var/compose/triton-repo at /models
# (deploy/compose/model_repository.py writes it; `make compose-repo`).
ARG TRITON_IMAGE=nvcr.io/nvidia/tritonserver:24.12-py3
FROM ${TRITON_IMAGE}
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# The image's Python (Ubuntu 24.04, Python 3.12) is the system one: pip needs --break-system-packages there.
RUN pip install --no-cache-dir --break-system-packages --index-url "$TORCH_INDEX_URL" "torch==$TORCH_VERSION" \
 && pip install --no-cache-dir --break-system-packages "transformers>=5,<6" "tokenizers>=0.20" "pillow>=10" "numpy<2"
COPY monitor/ /opt/trust-monitor/monitor/
ENV PYTHONPATH=/opt/trust-monitor \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1
