"""The record of what happened (Event rows) and what it becomes: history, journal, notices."""
