import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_django_check(**env):
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_production_without_secret_key_refuses_in_one_line():
    result = run_django_check(DEBUG="False")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "SECRET_KEY is not set" in result.stderr


def test_development_starts_without_configuration():
    result = run_django_check(DEBUG="True")
    assert result.returncode == 0, result.stderr
