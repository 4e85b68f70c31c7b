"""The questionnaire: questions as data, and the terminal session that asks them."""
