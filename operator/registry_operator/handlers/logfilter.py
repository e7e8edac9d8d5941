"""Keep the operator log readable: kopf logs every handler run, including bookkeeping ones."""

from __future__ import annotations

import logging

# The handler of every watch event (metrics, views); its success says nothing to a reader.
_QUIET_HANDLERS = ("Handler 'watch_event' succeeded.",)


class OperatorLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message in _QUIET_HANDLERS:
            return False
        if record.levelno == logging.ERROR and "failed temporarily" in message:
            # A retry with a reason in status (waiting for a group, throttling) is expected
            # operation, not an error; the condition carries the detail.
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


# Their DEBUG output carries signed request headers (the AWS session token, the API bearer token);
# --verbose must never put credentials into a log.
_CREDENTIAL_LOGGERS = ("botocore", "boto3", "urllib3", "kubernetes")


def install() -> None:
    logging.getLogger("kopf.objects").addFilter(OperatorLogFilter())
    for name in _CREDENTIAL_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
