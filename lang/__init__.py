"""The one reader of Chinese and English text: numbers, times, products, shops and the words of
each kind of message.

Pure Python (no Rasa, Telegram or SQLAlchemy), so the same code runs inside the Rasa server's
environment (the NLU components in ``nlu/``) and in the app environment (the actions, when the
NLU extracted nothing for a value they need). ``retail/`` takes the typed values these modules
produce and never reads a user's text itself; it imports ``products`` only to match catalog
names and ``questions`` only to read its own policy keywords the way a question is read.

Values:

- ``numerals``: one number expression to a value (十二, 一百五, 1万2, 2k, "twenty five"); an
  estimate (两三, 七八) is a range, not a number.
- ``quantities``: a count with its unit, in 条 (三条, 两包, 1件, half a case).
- ``amounts``: money (¥2,000, 两千五, 1.5万, "500 yuan"), exact to the fen.
- ``times``: time expressions against the message time in Asia/Shanghai (relative days, weekdays,
  clock times, offsets, deadlines, ranges), with the one table of part-of-day conventions in its
  docstring; ``find_times`` scans a whole message.
- ``products``: catalog names, aliases, pinyin and small typos to spec names; ``find_all`` scans.
- ``shops``: shop, short, owner and English names and pinyin homophones to shop ids.
- ``splitting``: where a token splits into numeral and unit (for the Jieba tokenizer).

Messages:

- ``order_changes`` (白沙改成3条,芙蓉王再加2条), ``price_questions`` (list, tier, pack-price
  words), ``reminder_prefs`` (每周三上午提醒我就行), ``visit_notes`` (a manager's note: stock,
  stock-outs, price tags, remarks, promises), ``visit_queries`` (我上次去张记是哪天),
  ``status_questions``, ``confirmations`` (确认 / 好的 / yes, and cancel words), ``questions``
  (a policy question's bigrams, stems, pinyin and the star level it asks about; retail reads its
  own policy keywords with the same functions, so both sides are read alike), ``language``
  (zh, en or neither).
"""
