"""rnn-grader for students, inside Jupyter: `from rnn_grader_client.notebook import check, submit`.

The command line (`rnn-grader ...`) lives in the `cli` package of the same distribution."""

from cli.version import VERSION as __version__

__all__ = ["__version__"]
