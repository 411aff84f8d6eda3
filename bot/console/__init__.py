"""The advisor console, the advisors' screen on handing over (``bot/handoff/``): accounts, login sessions and
lockout (``accounts``), the page and its API in the Rasa server (``channel``), and ``signpost advisors``
(``cli``)."""
