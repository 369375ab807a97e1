"""Reading archives: the one strict zip reader that ``inspect``, ``sign`` and ``verify`` share."""
