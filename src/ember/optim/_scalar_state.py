"""Per-parameter 0-d state entries besides 'step' (NAdam's mu_product, ASGD's eta and mu).

They live like 'step' in the engine of ``_fused.py``: one small array per key with a 0-d
view per parameter, wrapped by the Tensors in ``state[p]``. The kernel finds them after the
array states in ``states``: the whole array on the fused path, the parameter's 0-d view
otherwise; it reads them with ``.flat[0]`` and updates them in place, so both paths agree.
The fused path runs only while every parameter of the group holds the same values.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._fused import _ArrayOptimizer, _scalar_dtype

_INFO = "\0scalars"  # plan.flat entry recording that the scalar arrays exist


class _ScalarStateOptimizer(_ArrayOptimizer):
    """Subclasses add ``_scalars(group) -> (keys, init_values)``. State keys come in
    PyTorch's order: 'step', the scalars, then the array states."""

    def _scalars(self, group: dict) -> tuple:
        raise NotImplementedError

    def _ensure_scalars(self, plan) -> None:
        if _INFO in plan.flat:
            return
        keys, inits = self._scalars(plan.group)
        for key, init in zip(keys, inits):
            dtype = _scalar_dtype()
            for p in plan.params:  # a loaded float64 value keeps its dtype, as in PyTorch
                t = self._state[p].get(key) if p in self._state else None
                if isinstance(t, Tensor):
                    dtype = t._data.dtype
                    break
            arr = np.full(plan.n, init, dtype)
            plan.flat[key] = arr
            plan.views[key] = [arr[i, ...] for i in range(plan.n)]
        plan.flat[_INFO] = keys
        plan.fstates = plan.fstates + tuple(plan.flat[k] for k in keys)
        plan.pstates = [s + tuple(plan.views[k][i] for k in keys)
                        for i, s in enumerate(plan.pstates)]

    def _required_keys(self, plan) -> tuple:
        return ("step",) + tuple(self._scalars(plan.group)[0]) + plan.keys

    def _adopt(self, plan, i: int, p: Tensor) -> bool:
        self._ensure_scalars(plan)
        if not super()._adopt(plan, i, p):
            return False
        st = self._state[p]
        for key, init in zip(*self._scalars(plan.group)):
            view, t = plan.views[key][i], st.get(key)
            view[...] = init if t is None else (t._data if isinstance(t, Tensor) else float(t))
            if isinstance(t, Tensor) and t._data.dtype == view.dtype:
                t._data = view
            else:
                dict.__setitem__(st, key, Tensor._make(view, False, None))
        return True

    def _init_param(self, plan, i: int) -> None:
        plan.inited[i] = True
        st = self._state[plan.params[i]]
        plan.step_views[i][...] = 0
        dict.__setitem__(st, "step", Tensor._make(plan.step_views[i], False, None))
        for key, init in zip(*self._scalars(plan.group)):
            view = plan.views[key][i]
            view[...] = init
            dict.__setitem__(st, key, Tensor._make(view, False, None))
        for key, init in zip(plan.keys, plan.init_vals):
            view = plan.views[key][i]
            view.fill(init)
            dict.__setitem__(st, key, Tensor._make(view, False, None))

    def _is_uniform(self, plan) -> bool:
        if not super()._is_uniform(plan):
            return False
        keys = plan.flat.get(_INFO)
        if not keys or not any(plan.inited):
            return True
        return all(bool(plan.flat[k].min() == plan.flat[k].max()) for k in keys)
