"""Custom Rasa NLU graph components (run inside the Rasa server's own environment).

``tokenizer.py`` and ``components.py`` import Rasa and stay thin: the text reading they wrap lives
in ``lang/`` (numerals, quantities, times, products, splitting), which imports no Rasa and is
shared with the actions, and the span corrections in ``entities.py``. Both are tested in the app
environment (tests/lang/, tests/nlu/).
"""
