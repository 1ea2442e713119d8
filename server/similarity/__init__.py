"""Similarity reports for the teacher: which counted submissions of an exercise share code.

`tokens` normalises Python source, `winnow` fingerprints it and scores every pair at once, `regions`
finds the matching spans of one pair, `report` holds (and saves) one exercise's result, `compute` runs in
the background process, `service` ties them to the database and the cache. See docs/similarity.md.
"""
