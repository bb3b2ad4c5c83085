"""``torch.load``'s device check on a CPU-only build. Each stored storage carries the device it
was saved on ('cpu', or 'cuda:0' in a checkpoint written on a GPU); ``map_location`` moves it.
A storage that ends up anywhere but the CPU ('cuda', {'cpu': 'cuda:0'}, 'mps', or a GPU
checkpoint loaded without a map_location) fails the way a CPU-only PyTorch fails; a file
without tensors loads whatever the target."""
import io
import json
import pickletools
import re
import struct
import zipfile

_STRINGS = {"BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING",
            "BINSTRING", "STRING", "GLOBAL", "BININT", "BININT1", "BININT2", "LONG1", "INT"}


def _zip_locations(data: bytes) -> set:
    """The location tags of the storages a torch.save zip file holds, read from its pickle's
    persistent ids ('storage', type, key, location, numel) without running it."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        pkl = z.read(next(n for n in names if n.endswith("/data.pkl")))
    if not any(re.search(r"/data/\d+$", n) for n in names):
        return set()
    if b"cuda" not in pkl and b"mps" not in pkl:  # the common case, without walking the pickle
        return {"cpu"}
    found, pushed, memo = set(), [], {}
    for op, arg, _pos in pickletools.genops(pkl):
        name = op.name
        if name in _STRINGS:
            pushed.append(arg)
        elif name.endswith("GET"):
            pushed.append(memo.get(arg))
        elif name.endswith("PUT"):
            memo[arg] = pushed[-1] if pushed else None
        elif name == "MEMOIZE":
            memo[len(memo)] = pushed[-1] if pushed else None
        elif name != "MARK":
            if name == "TUPLE" and len(pushed) >= 5 and pushed[-5] == "storage":
                found.add(pushed[-2])
            pushed.append(None)
    return found


def stored_locations(data: bytes) -> set:
    """Where the file's storages were saved: PyTorch zip files say; ember's are all 'cpu'."""
    if data[:4] == b"PK\x03\x04":
        return _zip_locations(data)
    (n,) = struct.unpack("<Q", data[:8])
    return {"cpu"} if any(k != "__metadata__" for k in json.loads(data[8:8 + n])) else set()


def check(map_location, data: bytes) -> None:
    """Raise CPU-only PyTorch's error if a storage of ``data`` would restore off the CPU."""
    from ._size_device import device

    if not (map_location is None or isinstance(map_location, (str, dict, device))):
        return  # a callable picks the storage itself
    for loc in stored_locations(data):
        if map_location is None:
            target = loc
        elif isinstance(map_location, dict):
            target = map_location.get(loc, loc)
        else:
            target = map_location
        target = str(target)  # PyTorch matches the tag as a string: 'cpu:0' is not 'cpu'
        if target == "cpu" or target == "meta":  # no meta device: loads on the CPU (README)
            continue
        if target.startswith("cuda"):
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but "
                "torch.cuda.is_available() is False. If you are running on a CPU-only "
                "machine, please use torch.load with map_location=torch.device('cpu') to "
                "map your storages to the CPU.")
        if target.startswith("mps"):
            raise RuntimeError("torch.UntypedStorage(): Storage device not recognized: mps")
        raise RuntimeError("don't know how to restore data location of "
                           f"torch.storage.UntypedStorage (tagged with {target})")
