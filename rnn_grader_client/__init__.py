"""rnn-grader for students, inside Jupyter: `from rnn_grader_client.notebook import check, submit`.

In the client wheel this is the only top-level package: the command line (`rnn-grader ...`) is
`rnn_grader_client.cli` and the offline check `rnn_grader_client.grader`, the repository's cli/ and grader/
moved here by client/build_backend.py (docs/client.md)."""

from cli.version import VERSION as __version__

__all__ = ["__version__"]
