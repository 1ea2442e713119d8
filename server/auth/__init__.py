"""Who is calling and what they may do: staff accounts (instructor, TA) and students, their bearer tokens,
the browser sessions of both (one module: server.auth.sessions) and the permission of every route.

- `models`: the `staff` and `web_sessions` tables.
- `principal`: a bearer token (or a session) -> a Principal (staff with a role, or a student).
- `permissions`: what each role may do; the one place routes, pages and the ingress guard ask.
- `route_access`: the declared permission of every route, with its reason (docs/security.md).
- `staff`: staff accounts: add, disable, enable, a new token; the course always keeps an instructor.
- `sessions`: the teacher's and the students' browser sessions (cookie, CSRF, expiry, sign-out).
"""
