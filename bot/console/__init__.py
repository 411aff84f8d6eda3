"""The advisor console: First Contact advisors take over conversations from the assistant and give them
back. Accounts and sessions (``accounts``), presence (``presence``), the queue, claiming and live chat
(``queue``), call-backs (``callbacks``), and the web page and its API in the Rasa server (``channel``)."""
