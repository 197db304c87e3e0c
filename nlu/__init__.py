"""Custom Rasa NLU graph components (run inside the Rasa server's own environment).

``tokenizer.py`` and ``components.py`` import Rasa; the logic they wrap lives in modules that do
not (``splitting``, ``numerals``, ``quantities``, ``times``, ``products``, ``entities``), so it is
tested in the app environment (tests/nlu/).
"""
