"""The MiniMax platform backend: two-step cover client, preprocess handle, backend plugin."""
