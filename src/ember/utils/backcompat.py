"""``torch.utils.backcompat``: the two legacy switches old programs flip at start-up
(``broadcast_warning`` and ``keepdim_warning``). PyTorch keeps them as process-wide flags
that no longer make any operation warn; ember keeps the same flags, with the same check that
only a Python ``bool`` may be stored."""

_flags = {"broadcast": False, "keepdim": False}


def _setter(which: str):
    def set_flag(value) -> None:
        if type(value) is not bool:
            raise RuntimeError(f"set_backcompat_{which}_warn expects a bool, but got "
                               f"{_type_name(value)}")
        _flags[which] = value
    set_flag.__name__ = f"_set_backcompat_{which}_warn"
    return set_flag


def _getter(which: str):
    def get_flag() -> bool:
        return _flags[which]
    get_flag.__name__ = f"_get_backcompat_{which}_warn"
    return get_flag


def _type_name(value) -> str:
    cls = type(value)
    if cls.__module__ in ("builtins", None):
        return cls.__name__
    return f"{cls.__module__.split('.')[0]}.{cls.__name__}"


_set_backcompat_broadcast_warn = _setter("broadcast")
_get_backcompat_broadcast_warn = _getter("broadcast")
_set_backcompat_keepdim_warn = _setter("keepdim")
_get_backcompat_keepdim_warn = _getter("keepdim")


class Warning:
    """One legacy switch: ``enabled`` reads and writes the flag through getter / setter."""

    def __init__(self, setter, getter) -> None:
        self.setter = setter
        self.getter = getter

    def set_enabled(self, value) -> None:
        self.setter(value)

    def get_enabled(self):
        return self.getter()

    enabled = property(get_enabled, set_enabled)


broadcast_warning = Warning(_set_backcompat_broadcast_warn, _get_backcompat_broadcast_warn)
keepdim_warning = Warning(_set_backcompat_keepdim_warn, _get_backcompat_keepdim_warn)
