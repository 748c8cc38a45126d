"""``mode: distributed``: API replicas and workers sharing one PostgreSQL store, on procrastinate.

API replicas (``serve --role api``) serve gRPC/HTTP, defer one scheduled run per endpoint per tick (the tick time is
the key a database constraint holds unique) and follow the runs in the store. Workers (``--role worker``) plan each
run into shards (task × sample ranges of its work items), execute any shard, and the worker that stores a run's last
shard defers its scoring, which runs once. docs/design/scale-out.md explains the choices and failure behaviour.
"""
