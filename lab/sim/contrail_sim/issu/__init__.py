"""The ISSU sync tools as Contrail 4.0 ships them on v2 controllers (``contrail-issu-*``).

Modelled on Juniper/contrail-controller ``src/config/contrail_issu`` (R4.0): the same command
lines, config keys, keyspace order, log files and log lines, and the same weaknesses (run-sync's
queue is deleted on start, so messages published while it was down are lost; apply errors are
only logged). Cassandra is the lab's PostgreSQL store, reached through ``contrail_sim.configdb``.
"""
