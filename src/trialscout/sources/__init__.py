"""Readers: every form a trial record comes in, read lazily into Study items."""
