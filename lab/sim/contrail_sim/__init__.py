"""Simulated OpenContrail 3.2 / 4.0 daemons for the opencontrail.issu rehearsal lab.

Runs inside the lab containers only. Never imported by the collection's product code.
"""
