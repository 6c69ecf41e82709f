"""What bookings and permanences share: reasons and refusals, locks and lost races, forms."""
