"""The Alembic revisions (a package, so that setuptools installs it as one)."""
