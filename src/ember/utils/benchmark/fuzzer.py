"""``Fuzzer``: random parameters and tensors for benchmarking an op over many shapes.

Draws come from ``np.random.RandomState(seed)`` in PyTorch's order, and tensors from ember's
generator (seeded from that state), so a seeded Fuzzer yields the same parameters and the
same tensor values as PyTorch's.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

__all__ = ["Fuzzer", "FuzzedParameter", "ParameterAlias", "FuzzedTensor"]

_DISTRIBUTIONS = ("loguniform", "uniform")


class FuzzedParameter:
    """A named value drawn each step: ``"loguniform"`` or ``"uniform"`` between ``minval``
    and ``maxval`` (integers when both bounds are ints), or a ``{value: probability}``
    dict. ``strict`` parameters keep their first draw while the others are redrawn to
    satisfy constraints."""

    def __init__(self, name: str, minval=None, maxval=None, distribution=None,
                 strict: bool = False) -> None:
        self._name, self._minval, self._maxval = name, minval, maxval
        self._distribution = self._check_distribution(distribution)
        self.strict = strict

    @property
    def name(self) -> str:
        return self._name

    def _check_distribution(self, distribution):
        if not isinstance(distribution, dict):
            if distribution not in _DISTRIBUTIONS:
                raise AssertionError(f"Unknown distribution: {distribution}")
            return distribution
        if any(p < 0 for p in distribution.values()):
            raise AssertionError("Probabilities cannot be negative")
        # PyTorch 2.13's check is inverted: it accepts only dicts whose probabilities do
        # NOT sum to 1 (the message still says otherwise); kept so the same code runs.
        if not abs(sum(distribution.values()) - 1) > 1e-5:
            raise AssertionError("Distribution is not normalized")
        if self._minval is not None:
            raise AssertionError("When passing a custom distribution, 'minval' must be None")
        if self._maxval is not None:
            raise AssertionError("When passing a custom distribution, 'maxval' must be None")
        return distribution

    def sample(self, state: np.random.RandomState):
        d = self._distribution
        if d == "loguniform":
            low = np.log2(self._minval) if self._minval is not None else None
            high = np.log2(self._maxval) if self._maxval is not None else None
            out = int(2 ** state.uniform(low=low, high=high))
            if self._minval is not None and out < self._minval:
                return self._minval
            if self._maxval is not None and out > self._maxval:
                return self._maxval
            return out
        if d == "uniform":
            if isinstance(self._minval, int) and isinstance(self._maxval, int):
                return int(state.randint(low=self._minval, high=self._maxval + 1))
            return state.uniform(low=self._minval, high=self._maxval)
        if isinstance(d, dict):
            index = state.choice(np.arange(len(d)), p=tuple(d.values()))
            return list(d.keys())[index]
        return None


class ParameterAlias:
    """A parameter value that takes another parameter's value (chains allowed, no cycles)."""

    def __init__(self, alias_to) -> None:
        self.alias_to = alias_to

    def __repr__(self) -> str:
        return f"ParameterAlias[alias_to: {self.alias_to}]"


def dtype_size(dtype) -> int:
    import ember

    if dtype == ember.bool:
        return 1
    if dtype.is_floating_point or dtype.is_complex:
        return int(ember.finfo(dtype).bits / 8)
    return int(ember.iinfo(dtype).bits / 8)


def prod(values, base: int = 1) -> int:
    """Product in Python ints (NumPy's int64 could overflow and pass the size checks)."""
    return functools.reduce(lambda x, y: int(x) * int(y), values, base)


class FuzzedTensor:
    """A tensor made each step: ``size`` (and ``steps``, for strided slices) name
    parameters or give ints; with probability 1 - ``probability_contiguous`` its memory
    order is permuted; ``min_elements``/``max_elements``/``max_allocation_bytes`` reject
    parameter sets; ``dim_parameter`` truncates or pads the size to that many dims."""

    def __init__(self, name: str, size: tuple, steps: tuple | None = None,
                 probability_contiguous: float = 0.5, min_elements: int | None = None,
                 max_elements: int | None = None, max_allocation_bytes: int | None = None,
                 dim_parameter: str | None = None, roll_parameter: str | None = None,
                 dtype=None, cuda: bool = False,
                 tensor_constructor: Callable | None = None) -> None:
        import ember

        self._name, self._size, self._steps = name, size, steps
        self._probability_contiguous = probability_contiguous
        self._min_elements, self._max_elements = min_elements, max_elements
        self._max_allocation_bytes = max_allocation_bytes
        self._dim_parameter = dim_parameter
        self._dtype = ember.float32 if dtype is None else dtype
        self._cuda = cuda
        self._tensor_constructor = tensor_constructor

    @property
    def name(self) -> str:
        return self._name

    @staticmethod
    def default_tensor_constructor(size, dtype, **kwargs):
        import ember

        if dtype.is_floating_point or dtype.is_complex:
            return ember.rand(size=size, dtype=dtype, device="cpu")
        return ember.randint(1, 127, size=size, dtype=dtype, device="cpu")

    def _make_tensor(self, params: dict, state: np.random.RandomState):
        size, steps, allocation = self._get_size_and_steps(params)
        make = self._tensor_constructor or self.default_tensor_constructor
        raw = make(size=allocation, dtype=self._dtype, **params)
        if self._cuda:
            raw = raw.cuda()
        dim = len(size)
        order = np.arange(dim)
        if state.rand() > self._probability_contiguous:
            while dim > 1 and np.all(order == np.arange(dim)):
                order = state.permutation(raw.dim())
            # lay the memory out in a shuffled order, then view it in the original order
            raw = raw.permute(tuple(order)).contiguous().permute(tuple(np.argsort(order)))
        tensor = raw[tuple(slice(0, n * s, s) for n, s in zip(size, steps))]
        properties = {"numel": int(tensor.numel()), "order": order, "steps": steps,
                      "is_contiguous": tensor.is_contiguous(), "dtype": str(self._dtype)}
        return tensor, properties

    def _get_size_and_steps(self, params: dict):
        dim = params[self._dim_parameter] if self._dim_parameter is not None else len(self._size)

        def resolve(values):
            values = tuple(params.get(v, v) for v in values)[:dim]
            return values + (1,) * (dim - len(values))

        size, steps = resolve(self._size), resolve(self._steps or ())
        return size, steps, tuple(n * s for n, s in zip(size, steps))

    def satisfies_constraints(self, params: dict) -> bool:
        size, _, allocation = self._get_size_and_steps(params)
        numel = prod(size)
        if numel < 0:
            raise AssertionError("Computed number of elements is negative")
        nbytes = prod(allocation, base=dtype_size(self._dtype))

        def over(left, right):
            return left is not None and right is not None and left > right

        return not (over(numel, self._max_elements) or over(self._min_elements, numel)
                    or over(nbytes, self._max_allocation_bytes))


class Fuzzer:
    """Yields ``(tensors, tensor_properties, params)`` from ``take(n)``: parameters are
    redrawn (up to 1000 times) until every constraint callable and tensor limit accepts
    them. ``seed`` also seeds ember's generator, so the tensors are reproducible."""

    def __init__(self, parameters: list, tensors: list, constraints: list | None = None,
                 seed: int | None = None) -> None:
        if seed is None:
            seed = int(np.random.RandomState().randint(0, 2 ** 32 - 1, dtype=np.int64))
        self._seed = seed
        self._parameters = Fuzzer._unpack(parameters, FuzzedParameter)
        self._tensors = Fuzzer._unpack(tensors, FuzzedTensor)
        self._constraints = constraints or ()
        overlap = {p.name for p in self._parameters} & {t.name for t in self._tensors}
        if overlap:
            raise ValueError(f"Duplicate names in parameters and tensors: {overlap}")
        self._rejections = 0
        self._total_generated = 0

    @staticmethod
    def _unpack(values, cls) -> tuple:
        return tuple(v for item in values for v in ([item] if isinstance(item, cls) else item))

    def take(self, n: int):
        import ember

        state = np.random.RandomState(self._seed)
        ember.manual_seed(state.randint(low=0, high=2 ** 63, dtype=np.int64))
        for _ in range(n):
            params = self._generate(state)
            tensors, properties = {}, {}
            for t in self._tensors:
                tensors[t.name], properties[t.name] = t._make_tensor(params, state)
            yield tensors, properties, params

    @property
    def rejection_rate(self) -> float:
        return self._rejections / self._total_generated if self._total_generated else 0.0

    def _generate(self, state: np.random.RandomState) -> dict:
        strict: dict = {}
        for _ in range(1000):
            candidate: dict[str, Any] = {}
            for p in self._parameters:
                if p.strict and p.name in strict:
                    candidate[p.name] = strict[p.name]
                else:
                    candidate[p.name] = p.sample(state)
                    if p.strict:
                        strict[p.name] = candidate[p.name]
            candidate = self._resolve_aliases(candidate)
            self._total_generated += 1
            if not all(f(candidate) for f in self._constraints) or \
                    not all(t.satisfies_constraints(candidate) for t in self._tensors):
                self._rejections += 1
                continue
            return candidate
        raise ValueError("Failed to generate a set of valid parameters.")

    @staticmethod
    def _resolve_aliases(params: dict) -> dict:
        params = dict(params)
        count = sum(isinstance(v, ParameterAlias) for v in params.values())
        while count:
            for k in list(params):
                if isinstance(params[k], ParameterAlias):
                    params[k] = params[params[k].alias_to]
            new_count = sum(isinstance(v, ParameterAlias) for v in params.values())
            if new_count == count:
                raise ValueError(f"ParameterAlias cycle detected\n{params}")
            count = new_count
        return params
