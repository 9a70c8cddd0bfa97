#!/bin/sh
# Creates bench/reference/.venv with the Python reference pipeline's dependencies (PyPI).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$here/.venv/bin/python" ]; then
    python3 -m venv "$here/.venv"
fi
"$here/.venv/bin/pip" install -q --upgrade pip
"$here/.venv/bin/pip" install -q -r "$here/requirements.txt"
"$here/.venv/bin/python" -c 'import numpy, librosa, cv2, safetensors, av; print("reference venv ok: numpy", numpy.__version__, "librosa", librosa.__version__, "cv2", cv2.__version__, "av", av.__version__)'
