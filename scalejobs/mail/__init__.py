"""Queue email for a worker to send: ``deliver_later`` and friends."""
