#!/usr/bin/env bash
# mnx's GPU check on one NVIDIA GPU machine, in under 10 minutes (see scripts/gpu_check.py).
#
#   bash scripts/gpu_check.sh            # results under results/gpu_check/<UTC>/
#
# 1. Installs what it can into a private folder ($MNX_GPU_PKGS, default /tmp/mnx-gpu-pkgs, put
#    first on PYTHONPATH so nothing system-wide changes): the TensorRT matching the driver's CUDA
#    major (nvidia-smi: CUDA 13 -> tensorrt-cu13 11.x, else tensorrt-cu12 10.x), onnxruntime-gpu,
#    and cuda-python only when no cuda-bindings import. Each install is time-boxed and may fail
#    (no network, no NVIDIA index): the check then runs with what is there.
# 2. Runs scripts/gpu_check.py from this checkout (PYTHONPATH=src; no pip install of mnx, no
#    TensorFlow/Keras/click needed). Its exit status is this script's.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
PKGS=${MNX_GPU_PKGS:-/tmp/mnx-gpu-pkgs}
mkdir -p "$PKGS"

cuda_major=$(nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: \([0-9]*\).*/\1/p' | head -1)
echo "driver supports CUDA: ${cuda_major:-unknown (no nvidia-smi)}"
if [ "${cuda_major:-0}" -ge 13 ]; then
    trt="tensorrt-cu13>=11.4,<12"; cudapy="cuda-python>=13,<14"
else
    trt="tensorrt-cu12>=10.16,<11"; cudapy="cuda-python>=12.6,<13"
fi

try_install() {  # best effort, bounded: a machine without an index must not hang here
    echo "installing $* ..."
    timeout 180 "$PY" -m pip install -q --disable-pip-version-check --timeout 15 --retries 1 \
        --target "$PKGS" "$@" || echo "  could not install $* (going on without it)"
}
"$PY" -c "import tensorrt" 2>/dev/null || try_install "$trt"
"$PY" -c "import onnxruntime as o, sys; sys.exit('CUDAExecutionProvider' not in o.get_available_providers())" 2>/dev/null \
    || try_install onnxruntime-gpu
"$PY" -c "from cuda.bindings import runtime" 2>/dev/null || try_install "$cudapy"

export PYTHONPATH="$PKGS:$PWD/src:$PWD${PYTHONPATH:+:$PYTHONPATH}"
timeout 480 "$PY" scripts/gpu_check.py "$@"
