"""One form class per task a person does."""
