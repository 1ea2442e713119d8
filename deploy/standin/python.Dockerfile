# Stand-in for python:3.11-slim, built from Debian packages only (deploy/compose_stack.py uses it when no
# registry serves the official image). Debian bookworm's python3 is 3.11. A venv whose bin/ is first on
# PATH gives the image what the official one has: `python`, `pip`, and console scripts on PATH that run
# in that interpreter (a symlinked /usr/local/bin/python would not find the venv's packages).
ARG ROOTFS=rnn-grader-standin/bookworm:minbase
FROM ${ROOTFS}
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/python \
    && /opt/python/bin/python -c "import sys, ensurepip; assert sys.version_info[:2] == (3, 11), sys.version"
ENV PATH=/opt/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    VIRTUAL_ENV=/opt/python
CMD ["python3"]
