"""The parameter spec as data, and what it generates: JSON Schema, validation, lyrics lint."""
