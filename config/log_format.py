"""LOG_FORMAT=json: each record as one JSON object a line, for a log collector.

The fields a call passes in `extra` (e.g. `account_id`, `mailing_ids`) become keys of the
object, so a collector can filter the batch, sync and bounce lines by account and mailing.
"""

import datetime
import json
import logging

# Attributes every LogRecord has; anything else on a record came from `extra`.
STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
