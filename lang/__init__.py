"""The one reader of Chinese and English text: numerals, quantities, times and product names.

Pure Python (no Rasa, Telegram or SQLAlchemy), so the same code runs inside the Rasa server's
environment (the NLU components in ``nlu/``) and in the app environment (the actions, when the
NLU extracted nothing for a value they need). ``retail/`` takes the typed values these modules
produce and never reads text itself.

- ``numerals``: one number expression to a value (十二, 一百五, 1万2, 2k, "twenty five").
- ``quantities``: a count with its unit, in 条 (三条, 两包, 1件, half a case).
- ``times``: time expressions against the message time in Asia/Shanghai, with the part-of-day
  conventions written down in its docstring.
- ``products``: catalog names, aliases, pinyin and small typos to spec names.
- ``splitting``: where a token splits into numeral and unit (for the Jieba tokenizer).
"""
