# syntax=docker/dockerfile:1
# Lovemachine: one image for every process (worker, CS tool, migrations, retraining, DSA submission).
#   docker build -t lovemachine:dev .
#   docker run --rm lovemachine:dev --help
# The Kubernetes manifests (deploy/k8s/) pick the process with `args:`; see deploy/README.md.

ARG PYTHON_IMAGE=python:3.11-slim

# --------------------------------------------------------------------------- builder
FROM ${PYTHON_IMAGE} AS builder

# gcc/g++ for any dependency that has no wheel for this platform (pyahocorasick, google-re2, ...)
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc g++ libc6-dev \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN pip install --upgrade pip

# Pinned as in the Makefile, from the CPU-only index: the default index's wheel pulls GBs of CUDA.
# Its own layer, so that code changes do not download torch again.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

WORKDIR /src
COPY pyproject.toml README.md ./
# every package of [tool.setuptools.packages.find] include (tests/deploy checks the list)
COPY lovemachine ./lovemachine
COPY workers ./workers
COPY trainers ./trainers
COPY cstool_api ./cstool_api
COPY migrations ./migrations
COPY cli ./cli
COPY demo ./demo
COPY synth ./synth
# non-editable, no dev extras; torch==2.13.0 is already satisfied by the CPU wheel (2.13.0+cpu)
RUN pip install . \
    && python -c "import torch; assert torch.__version__.startswith('2.13.0'), torch.__version__" \
    && if pip list 2>/dev/null | grep -qi '^nvidia-'; then echo 'CUDA wheels crept in' >&2; exit 1; fi

# Training reads the written corpora at <site-packages>/data/written (trainers/sources.py resolves
# data/ next to the installed `trainers` package, not in the working directory), so data/ goes there.
COPY data ./data
RUN purelib="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
    && cp -r data "$purelib/data" \
    && python -c "from trainers.sources import WRITTEN_PATHS; missing = [p for p in WRITTEN_PATHS if not p.is_file()]; assert not missing, missing"

# --------------------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

# libgomp1: LightGBM's OpenMP runtime (slim images lack it; torch ships its own)
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 lovemachine \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/lovemachine --create-home \
       --shell /usr/sbin/nologin lovemachine

COPY --from=builder /opt/venv /opt/venv

# The root filesystem is read-only in Kubernetes (an emptyDir on /tmp): caches and config that
# libraries would write under $HOME go to /tmp. The deep tier loads its checkpoint offline.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/lovemachine \
    XDG_CACHE_HOME=/tmp/.cache \
    MPLCONFIGDIR=/tmp/matplotlib \
    HF_HOME=/tmp/huggingface \
    HF_HUB_OFFLINE=1 \
    LOVEMACHINE_ARTIFACT_DIR=/artifacts

WORKDIR /home/lovemachine
USER 10001:10001

# smoke test: the entry point and the native libraries load as the runtime user
RUN lovemachine --help >/dev/null \
    && python -c "import lightgbm, onnxruntime, re2, ahocorasick, sudachipy, psycopg, torch"

EXPOSE 8000 9464
# Python is PID 1: `worker`, `serve` and `scheduler` handle SIGTERM themselves (see docs/operations.md).
ENTRYPOINT ["lovemachine"]
CMD ["worker"]
