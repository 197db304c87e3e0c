"""Custom Rasa NLU graph components (run inside the Rasa server's own environment)."""
