"""Test helpers: SMTP sink, private Dovecot, TLS certificates, Chromium.

Nothing here imports Django; ``testsupport.fixtures`` is the pytest plugin.
"""
