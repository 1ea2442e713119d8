"""The edge of the server: every request's body bounded, and its credential checked where an upload is large,
before routing and before any body is parsed (`guard`), by the one table of budgets (`budgets`)."""
