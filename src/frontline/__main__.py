"""The ``frontline`` console script: Django's command line with Frontline's settings."""

import os
import sys


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "demo":
        # Before Django loads settings: the demo runs on plain HTTP with readable logs.
        os.environ.setdefault("FRONTLINE_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontline.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
