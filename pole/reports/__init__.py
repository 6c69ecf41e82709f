"""What the building gave: the usage report, each association's in-kind value, exports."""
