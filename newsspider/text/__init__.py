"""Text helpers: Vietnamese normalization, HTML to text, boilerplate phrases."""
