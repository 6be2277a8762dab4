"""The production configuration as documented: .env.example names every variable the
settings read, and the README's Production section gives the commands the smoke test runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_names_every_variable_the_settings_read():
    settings_source = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]*)"', settings_source))
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    assert read, "no env(...) call found in config/settings.py"
    assert read - documented == set(), "add these to .env.example with what they are for"
    for name in documented:
        assert re.search(rf"^# .*\n{name}=", example, flags=re.MULTILINE) or re.search(
            rf"^#.*\n(?:[A-Z_]+=.*\n)*{name}=", example, flags=re.MULTILINE
        ), f"{name} has no comment above it"


def test_the_readme_gives_the_production_commands():
    readme = (ROOT / "README.md").read_text()
    production = readme.split("## Production", 1)[1].split("\n## ", 1)[0]
    for command in [
        "python manage.py collectstatic --noinput",
        "python manage.py migrate",
        "gunicorn -c config/gunicorn.py config.wsgi",
        "celery -A config worker",
        "celery -A config beat",
        "/healthz",
        "/metrics",
    ]:
        assert command in production, command
