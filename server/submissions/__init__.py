"""Submissions: `body` reads a request into a SubmissionCreate; `service.submit` stores and enqueues it."""
