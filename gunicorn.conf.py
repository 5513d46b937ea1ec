"""gunicorn settings read from the working directory (`gunicorn app:app`): its access and error logs go through
the app's redacting formatter, so CPR numbers and confirmation-link tokens never reach a log file."""

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "redacting": {"()": "servicecenter.logredact.RedactingFormatter",
                      "format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "redacting", "stream": "ext://sys.stderr"},
        "stdout": {"class": "logging.StreamHandler", "formatter": "redacting", "stream": "ext://sys.stdout"},
    },
    # gunicorn merges this into its defaults section by section: its root logger names a "console" handler that
    # the handlers above replace, so the root is given here too (without it gunicorn refuses to start).
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
    },
}
accesslog = "-"
