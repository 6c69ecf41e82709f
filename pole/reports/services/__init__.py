"""The report's database work: resource values, the usage report, exports."""
