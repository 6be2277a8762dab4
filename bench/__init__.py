# Benchmarks run with the test settings (a SECRET_KEY of their own: DEBUG is off unless set).
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
