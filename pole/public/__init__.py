"""The pôle's public page: the building, who does what and when, public events to come."""
