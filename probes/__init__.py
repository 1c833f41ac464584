"""Data collection from /proc, /sys and psutil. Never imports Textual."""
