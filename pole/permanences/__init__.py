"""Permanences: a social worker's slots, booked by the associations' volunteers."""
