"""liftlab: a SQL-first analytics warehouse for barbell velocity data."""

__version__ = "0.1.0"
