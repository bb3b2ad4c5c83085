"""cuDNN flags that scripts set for determinism; ember accepts and ignores them."""

deterministic = False
benchmark = False
enabled = False


def is_available() -> bool:
    return False
