"""Item models behind the views (tested without a view)."""
