"""The whole API on 127.0.0.1 without Docker, served from template.yaml (`make run`)."""
