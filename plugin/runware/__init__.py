"""The Runware backend: REST client, envelope parsing, backend plugin, the model it serves."""
