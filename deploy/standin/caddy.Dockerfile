# Stand-in for caddy:2, built from Debian packages only (deploy/compose_stack.py uses it when no registry
# serves the official image): Debian bookworm's caddy (2.6) with what deploy/proxy/Dockerfile uses of the
# official image: `caddy` on PATH, /etc/caddy, a shell, mkdir and chown.
ARG ROOTFS=rnn-grader-standin/bookworm:minbase
FROM ${ROOTFS}
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN apt-get update \
    && apt-get install -y --no-install-recommends caddy ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && caddy version
ENV XDG_CONFIG_HOME=/config \
    XDG_DATA_HOME=/data
EXPOSE 80 443
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
