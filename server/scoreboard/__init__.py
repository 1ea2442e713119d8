"""The scoreboard's data: `cache` keeps the per-(student, exercise) table fresh as results are written,
`query` reads the counted submission of each pair (best or latest), `export` writes CSV. The HTML pages
that show it are in `server.web`."""
