"""The one version of rnn-grader: the server, the full install and the student client wheel all carry it
(pyproject.toml and client/pyproject.toml say the same; tests/client checks)."""

VERSION = "0.1.0"
