# Stand-in for postgres:16, built from Debian packages only (deploy/compose_stack.py uses it when no
# registry serves the official image): Debian bookworm's postgresql-15 behind an entrypoint that honours
# what docker-compose.yml uses of the official image: POSTGRES_USER, POSTGRES_DB, POSTGRES_PASSWORD, the
# data directory /var/lib/postgresql/data, `postgres -c ...` as the command, and pg_isready on PATH.
ARG ROOTFS=rnn-grader-standin/bookworm:minbase
FROM ${ROOTFS}
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
# No cluster from the package: the entrypoint makes one (UTF8) in the volume on first start.
RUN mkdir -p /etc/postgresql-common \
    && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql \
    && chmod 700 /var/lib/postgresql/data
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
