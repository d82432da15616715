"""No tables: a models module makes Django send this app post_migrate (groups.py)."""
