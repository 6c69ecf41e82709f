"""The home page's questions: what is next for me, what is on today, what is open this week."""
