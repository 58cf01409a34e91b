"""Contrail VIF driver for nova (lab build @VERSION@: the lab has no nova; kept for the package set)."""
VERSION = '@VERSION@'
