"""The ledger's chain: one hash chain per station over every change of state.

Each event table (report events, pledge events, assignment events, household visits,
compact version events, account role changes) has an AFTER INSERT trigger that appends an
entry here, in the database, in the same transaction: the app pays no extra round trip and
a write that bypasses the services (admin, shell, bulk insert) is chained all the same.
How the chain is built and what it proves: docs/ledger.md.

A bottom layer beside houhu.lib: it imports no app; the apps' migrations install their
triggers with `houhu.ledger.sql.source()`.
"""
