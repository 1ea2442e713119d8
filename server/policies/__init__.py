"""Teachers' policies applied by the server (the spec side is grader.policy): `deadlines` (a student's own
deadline, extensions, the late decision of a submission), `extensions` (the extension service and its CSV
import) and `visibility` (how much of a result a student sees). See docs/policies.md."""
