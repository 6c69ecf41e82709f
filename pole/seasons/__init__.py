"""The season's plan: regular slots asked by the associations, decided together, published."""
