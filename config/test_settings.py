"""Settings of a test run (pytest.ini): the project's own, with a SECRET_KEY when none is set.

DEBUG is off unless set, and the settings refuse to start without a SECRET_KEY then: a test
run needs one, and so do the Celery workers and commands the tests start (they inherit the
environment, this settings module included). A key given in the environment wins
(scripts/test.sh makes a random one).
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

from config.settings import *  # noqa: E402, F403

# Tests log in thousands of times: a fast hasher (the real one costs a third of a second).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
