"""Client-record sections. ``<key>.py`` with ``create_section(ctx, client_id) -> QWidget``
replaces the placeholder of that standard key (see ``ui/client_record.py``)."""
