"""`python -m server`: the same as `rnn-grader serve`."""

from server.main import serve

serve()
