"""The registry database: schema, migrations, the journal and its projections, queries, report figures."""
