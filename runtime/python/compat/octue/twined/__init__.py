# Importable as `octue.twined`; see `octue/__init__.py`.
