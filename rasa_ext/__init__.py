"""Extensions loaded by the Rasa server (runs in `.venv-rasa`, Python 3.10, Rasa 3.6).

Standalone on purpose: nothing here imports `chatbot`, `sync` or `actions` (their
dependencies are not installed in Rasa's virtualenv). Rasa finds this package because it
puts its working directory (the repository root) on `sys.path`.
"""

from rasa_ext import speedups

speedups.install()
