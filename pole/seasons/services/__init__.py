"""The season's plan: open it, ask, resolve on the board, publish, carry over."""
