"""KAP Companion: an offline, encrypted companion for ketamine-assisted psychotherapy."""

__version__ = "0.1.0"
APP_NAME = "KAP Companion"
