"""What the tests share and are not tests themselves: the running assistant, a fake Telegram Bot API, a console
client, databases with their schema, and the plain-English check."""
