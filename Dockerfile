# syntax=docker/dockerfile:1
# signoff's image: built in one stage, run from a slim one that holds only the installed
# package, as an unprivileged user. `signoff serve` on port 3000 unless told otherwise.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/signoff
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY db ./db
COPY handlers ./handlers
COPY scheduler ./scheduler
COPY workflow ./workflow
# The bytecode is compiled here and kept: the image runs with PYTHONDONTWRITEBYTECODE, as an
# unprivileged user who could not write it anyway, so without it every `signoff tick` and every
# health probe would compile signoff and its libraries from source again (about a second each).
RUN /opt/signoff/bin/pip install '.[postgres,sentry,reports,teams]' \
    && /opt/signoff/bin/python -m compileall -q /opt/signoff/lib

FROM python:${PYTHON_VERSION}-slim AS run
RUN useradd --system --uid 10001 --user-group --home-dir /home/signoff --create-home signoff
COPY --from=build /opt/signoff /opt/signoff
# The example governance files, to start from: SIGNOFF_GOVERNANCE=/opt/signoff/governance/x.toml
COPY examples/governance /opt/signoff/governance
ENV PATH=/opt/signoff/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SIGNOFF_LOG_FORMAT=json
WORKDIR /home/signoff
USER signoff:signoff
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot.probe"]
ENTRYPOINT ["signoff"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
