import subprocess
import sys
from pathlib import Path

from django.contrib.auth.models import Group
from django.core.management.sql import emit_post_migrate_signal

from crm.roles import Role

ROOT = Path(__file__).resolve().parents[2]


def installed_apps(demo):
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin", "SECRET_KEY": "a-test-key"}
    if demo is not None:
        env["DEMO"] = demo
    code = "import django; django.setup(); from django.conf import settings; print(settings.INSTALLED_APPS, settings.DEMO_TIME_COMPRESSION)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout


def test_the_demo_app_is_installed_only_when_the_demo_runs():
    assert "'demo'" not in installed_apps(None) and installed_apps(None).strip().endswith(" 1")
    assert "'demo'" in installed_apps("1")


def test_migrate_makes_the_role_groups_with_the_demo_installed_last(db):
    # The demo app has no models, so post_migrate never reaches it: the groups are made
    # after the last app that has models.
    Group.objects.all().delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert set(Group.objects.values_list("name", flat=True)) == {role.value for role in Role}
