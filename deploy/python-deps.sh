#!/bin/sh
# Installs the project's dependencies (pyproject.toml's [project] dependencies, not the project) with the given
# Python, from the current directory: an image's dependency layer is then rebuilt only when pyproject.toml
# changes, not with every change of the code (Dockerfile, deploy/backup/Dockerfile). The build secret
# `pip_ca` (optional) is a CA bundle for pip on a network that intercepts TLS.
set -eu
python="${1:-python}"
if [ -s /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi
"$python" -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep=chr(10))" \
    > /tmp/requirements.txt
"$python" -m pip install --no-cache-dir -r /tmp/requirements.txt
rm /tmp/requirements.txt
