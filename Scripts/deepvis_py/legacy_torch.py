"""Read a legacy (non-zip) PyTorch state-dict file with numpy only, without torch.

Layout of the legacy format (torch.save with _use_new_zipfile_serialization=False):
  1. pickle: magic number 0x1950a86a20f9469cfc6c
  2. pickle: protocol version (1001)
  3. pickle: sys-info dict (endianness, type sizes)
  4. pickle: the object (here an OrderedDict of tensors); each tensor refers to its
     storage through a persistent id ('storage', StorageType, key, location, numel, view)
  5. pickle: list of storage keys, in the order their data follows
  6. per key: int64-LE element count, then the raw little-endian elements

Only the few globals a state dict needs are allowed; anything else is an error, so a
hostile file cannot run code.
"""

import collections
import pickle
import struct

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001

_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class LegacyTorchError(ValueError):
    """The file is not a legacy torch state dict this reader understands."""


class _StorageType:
    def __init__(self, name):
        self.name = name
        self.dtype = np.dtype(_STORAGE_DTYPES[name])


class _StorageRef:
    """Placeholder for a storage whose bytes follow the pickles."""

    def __init__(self, key, storage_type, numel):
        self.key = key
        self.dtype = storage_type.dtype
        self.numel = numel
        self.array = None


class _TensorRef:
    def __init__(self, storage, offset, size, stride):
        self.storage = storage
        self.offset = offset
        self.size = tuple(size)
        self.stride = tuple(stride)

    def materialize(self):
        base = self.storage.array
        if self.size and max(
            self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride)) + 1, 0
        ) > base.size:
            raise LegacyTorchError("tensor view exceeds its storage")
        item = base.itemsize
        view = np.lib.stride_tricks.as_strided(
            base[self.offset:],
            shape=self.size,
            strides=tuple(s * item for s in self.stride),
            writeable=False,
        )
        return np.ascontiguousarray(view)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    return _TensorRef(storage, storage_offset, size, stride)


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _TensorRef(storage, storage_offset, size, stride)


class _StateDictUnpickler(pickle.Unpickler):
    """Unpickler that only knows OrderedDict, tensor rebuilding and storage types."""

    def __init__(self, file):
        super().__init__(file)
        self.storages = {}

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if (module, name) == ("torch._utils", "_rebuild_tensor"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise LegacyTorchError(f"refusing to load global {module}.{name}")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise LegacyTorchError(f"unexpected persistent id {pid!r}")
        _, storage_type, key, _location, numel = pid[:5]
        if len(pid) > 5 and pid[5] is not None:
            raise LegacyTorchError("storage views are not supported")
        if not isinstance(storage_type, _StorageType):
            raise LegacyTorchError(f"unknown storage type in {pid!r}")
        ref = self.storages.get(key)
        if ref is None:
            ref = _StorageRef(key, storage_type, numel)
            self.storages[key] = ref
        return ref


def _load_plain(file):
    """Load one pickle that may contain only plain Python values."""

    class Plain(pickle.Unpickler):
        def find_class(self, module, name):
            raise LegacyTorchError(f"refusing to load global {module}.{name}")

    return Plain(file).load()


def load_state_dict(file):
    """Read a legacy torch state dict from a binary file object.

    Returns an ordered dict: name -> numpy array (float32 for float tensors).
    """
    try:
        magic = _load_plain(file)
        if magic != LEGACY_MAGIC:
            raise LegacyTorchError("not a legacy torch file (bad magic number); "
                                   "zip-format .pth files are not supported here")
        protocol = _load_plain(file)
        if protocol != LEGACY_PROTOCOL:
            raise LegacyTorchError(f"unsupported legacy protocol version {protocol}")
        sys_info = _load_plain(file)
        if not sys_info.get("little_endian", False):
            raise LegacyTorchError("big-endian torch files are not supported")
        unpickler = _StateDictUnpickler(file)
        obj = unpickler.load()
        keys = _load_plain(file)
    except (pickle.UnpicklingError, EOFError) as error:
        raise LegacyTorchError(f"corrupt torch file: {error}") from error

    if not isinstance(obj, collections.OrderedDict):
        raise LegacyTorchError(f"expected a state dict, got {type(obj).__name__}")
    for key in keys:
        header = file.read(8)
        if len(header) != 8:
            raise LegacyTorchError("truncated torch file (storage header)")
        (numel,) = struct.unpack("<q", header)
        ref = unpickler.storages.get(key)
        if ref is None:
            raise LegacyTorchError(f"storage {key} is listed but never used")
        if numel != ref.numel:
            raise LegacyTorchError(f"storage {key}: {numel} elements, expected {ref.numel}")
        nbytes = numel * ref.dtype.itemsize
        data = file.read(nbytes)
        if len(data) != nbytes:
            raise LegacyTorchError(f"truncated torch file (storage {key})")
        ref.array = np.frombuffer(data, dtype=ref.dtype.newbyteorder("<"))
    if file.read(1):
        raise LegacyTorchError("trailing bytes after the last storage")
    missing = [k for k, ref in unpickler.storages.items() if ref.array is None]
    if missing:
        raise LegacyTorchError(f"storages without data: {missing[:5]}")

    result = collections.OrderedDict()
    for name, value in obj.items():
        if not isinstance(value, _TensorRef):
            raise LegacyTorchError(f"entry {name} is not a tensor")
        result[name] = value.materialize()
    return result
