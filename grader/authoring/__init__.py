"""The authoring kit: `rnn-grader exercise validate DIR` proves an exercise before students see it, and
`rnn-grader exercise new ID` writes a complete small exercise to start from (docs/authoring.md).

Trusted side only (it loads reference solutions, hidden cases and mutants): never in the student client.
"""
