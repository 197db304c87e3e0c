"""Scripts run with .venv-rasa/bin/python: they need Rasa, Jieba or Rasa's scikit-learn.

`make lint` checks their imports against requirements/rasa.in (requirements/deptry-rasa.toml);
everything else in scripts/ runs in .venv and is checked against app.in and dev.in.
"""
