"""Test doubles shared by every test package: clocks, sleeps, token providers, Graph's URLs.

Each lives here once, so a test of the connector, the notebook, the sandbox or the reliability
suite fakes time and tokens the same way.
"""
