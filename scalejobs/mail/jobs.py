"""The actor that delivers queued email."""
