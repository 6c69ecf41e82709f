"""The waiting list: "Prévenez-moi si ça se libère", told one person at a time."""
