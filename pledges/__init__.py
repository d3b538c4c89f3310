"""The village compact (村规民约) and the motto's three scopes of responsibility:
你包片、我包段、家家户户包门前 (patch, segment, front door). One Django app (`pledges`: its
tables, migrations, templates and URLs), in two halves along the domain's line:

- `pledges.compact`: the compact, its versions and clauses, the pledges that sign it (one
  signing service for every entry point: compact/signing.py), renewals, withdrawals and the
  grid managers' household visits;
- `pledges.responsibility`: who answers for a patch, a segment or a household's front door
  (assignments), the front doors derived from the map, and the coverage of both.

`responsibility` may read `compact` (coverage counts signed households), never the other
way round. Shared: `errors.py` (the app's refusals), `common.py` (service helpers),
`web.py` (page and API helpers); `models.py` is what Django loads.
"""
