"""yandex-research/rtdl, rtdl/data.py as users type it: _adjust_bin_counts,
compute_quantile_bin_edges (torch.unique / torch.quantile / torch.sort), compute_bin_indices
(torch.bucketize with right=True), compute_bin_linear_ratios, _LVR_encoding (torch.where with
0-d tensors, advanced-index assignment), piecewise_linear_encoding,
compute_piecewise_linear_encoding, a PiecewiseLinearEncoder with sklearn's base classes left
out (no sklearn here; its decision-tree bins too) and get_category_sizes; then the encoding fed
to rtdl's MLP. Seeded NumPy features and Tensors, both as the functions accept them."""

import math
import warnings
from typing import List, cast

import numpy as np
from s16_yunjey_progs import Out
import s22_tabts_progs as rtdl_a


def build(torch):
    Tensor, as_tensor = torch.Tensor, torch.as_tensor

    def _adjust_bin_counts(X, n_bins):
        if n_bins < 2:
            raise ValueError('n_bins must be greater than 1')
        unique_fn = torch.unique if isinstance(X, Tensor) else np.unique
        adjusted_bin_counts = []
        for i, column in enumerate(X.T):
            n_unique = len(unique_fn(column))
            if n_unique < 2:
                raise ValueError(f'All elements in the column {i} are the same')
            if n_unique < n_bins:
                warnings.warn(
                    f'For the feature {i}, the number of bins will be set to the number of'
                    ' distinct values, becuase the provided n_bins is greater than this number.'
                )
            adjusted_bin_counts.append(min(n_bins, n_unique))
        return adjusted_bin_counts

    def compute_quantile_bin_edges(X, n_bins):
        is_torch = isinstance(X, Tensor)
        X = as_tensor(X)

        if X.ndim != 2:
            raise ValueError('X must have two dimensions')
        adjusted_bin_counts = _adjust_bin_counts(X, n_bins)
        edges = []
        for column, adjusted_n_bins in zip(X.T, adjusted_bin_counts):
            # quantiles include 0.0 and 1.0
            quantiles = torch.linspace(0.0, 1.0, adjusted_n_bins + 1)
            edges.append(torch.sort(torch.unique(torch.quantile(column, quantiles))).values)
        return edges if is_torch else [x.numpy() for x in edges]

    def compute_bin_indices(X, bin_edges):
        is_torch = isinstance(X, Tensor)
        X = as_tensor(X)
        bin_edges = [as_tensor(x) for x in bin_edges]

        if X.ndim != 2:
            raise ValueError('X must have two dimensions')
        if X.shape[1] != len(bin_edges):
            raise ValueError(
                'The number of columns in X must be equal to the size of the `bin_edges` list'
            )

        inf = torch.tensor([math.inf], dtype=X.dtype, device=X.device)
        bin_indices_list = [
            torch.bucketize(
                column, torch.cat((-inf, column_bin_edges[1:-1], inf)), right=True
            )
            - 1
            for column, column_bin_edges in zip(X.T, bin_edges)
        ]
        bin_indices = torch.stack(bin_indices_list, 1)
        return bin_indices if is_torch else bin_indices.numpy()

    def compute_bin_linear_ratios(X, indices, bin_edges):
        is_torch = isinstance(X, Tensor)
        X = as_tensor(X)
        indices = as_tensor(indices)
        bin_edges = [as_tensor(x) for x in bin_edges]

        if X.ndim != 2:
            raise ValueError('X must have two dimensions')
        if X.shape != indices.shape:
            raise ValueError('X and indices must be of the same shape')
        if X.shape[1] != len(bin_edges):
            raise ValueError(
                'The number of columns in X must be equal to the number of items in bin_edges'
            )

        inf = torch.tensor([math.inf], dtype=X.dtype, device=X.device)
        values_list = []
        for c_i, (c_values, c_indices, c_bin_edges) in enumerate(
            zip(X.T, indices.T, bin_edges)
        ):
            if (c_indices + 1 >= len(c_bin_edges)).any():
                raise ValueError(
                    f'The indices in indices[:, {c_i}] are not compatible with bin_edges[{c_i}]'
                )
            effective_c_bin_edges = torch.cat((-inf, c_bin_edges[1:-1], inf))
            if (
                (c_values < effective_c_bin_edges[c_indices]).any()
                or (c_values > effective_c_bin_edges[c_indices + 1])
            ).any():
                raise ValueError('Values in X do not satisfy the provided bin edges.')
            c_left_edges = c_bin_edges[c_indices]
            c_right_edges = c_bin_edges[c_indices + 1]
            values_list.append((c_values - c_left_edges) / (c_right_edges - c_left_edges))
        values = torch.stack(values_list, 1)
        return values if is_torch else values.numpy()

    def _LVR_encoding(values, indices, d_encoding, left, right, *, stack):
        is_torch = isinstance(values, Tensor)
        values = as_tensor(values)
        indices = as_tensor(values)

        if type(left) is not type(right):
            raise ValueError('left and right must be of the same type')
        if str(type(left)) not in str(values.dtype):
            raise ValueError(
                'The `values` array has dtype incompatible with left and right'
            )
        if values.ndim != 2:
            raise ValueError('values must have two dimensions')
        if values.shape != indices.shape:
            raise ValueError('values and indices must be of the same shape')

        if stack and not isinstance(d_encoding, int):
            raise ValueError('stack can be True only if d_encoding is an integer')
        if isinstance(d_encoding, int):
            if (indices >= d_encoding).any():
                raise ValueError('All indices must be less than d_encoding')
        else:
            if values.shape[1] != len(d_encoding):
                raise ValueError(
                    'If d_encoding is a list, then its size must be equal to `values.shape[1]`'
                )
            if (indices >= np.array(d_encoding)[None]).any():
                raise ValueError(
                    'All indices must be less than the corresponding d_encoding'
                )

        dtype = values.dtype
        device = values.device
        n_objects, n_features = values.shape
        left_tensor = torch.tensor(left, dtype=dtype, device=device)
        right_tensor = torch.tensor(right, dtype=dtype, device=device)

        shared_d_encoding = (
            d_encoding
            if isinstance(d_encoding, int)
            else d_encoding[0]
            if all(d == d_encoding[0] for d in d_encoding)
            else None
        )

        if shared_d_encoding is None:
            encoding_list = []
            for c_values, c_indices, c_d_encoding in zip(
                values.T, indices.T, cast(List[int], d_encoding)
            ):
                c_left_mask = (
                    torch.arange(c_d_encoding, device=device)[None] < c_indices[:, None]
                )
                c_encoding = torch.where(c_left_mask, left_tensor, right_tensor)
                c_encoding[torch.arange(n_objects, device=device), c_indices] = c_values
                encoding_list.append(c_encoding)
            encoding = torch.cat(encoding_list, 1)
        else:
            left_mask = (
                torch.arange(shared_d_encoding, device=device)[None, None]
                < indices[:, :, None]
            )
            encoding = torch.where(left_mask, left_tensor, right_tensor)
            object_indices = (
                torch.arange(n_objects, device=device)[:, None]
                .repeat(1, n_features)
                .reshape(-1)
            )
            feature_indices = torch.arange(n_features, device=device).repeat(n_objects)
            encoding[object_indices, feature_indices, indices.flatten()] = values.flatten()
            if not stack:
                encoding = encoding.reshape(n_objects, -1)
        return encoding if is_torch else encoding.numpy()

    def piecewise_linear_encoding(ratios, indices, d_encoding, *, stack=False):
        is_torch = isinstance(ratios, Tensor)
        ratios = torch.as_tensor(ratios)
        indices = torch.as_tensor(indices)

        if ratios.ndim != 2:
            raise ValueError('ratios must have two dimensions')
        if ratios.shape != indices.shape:
            raise ValueError('rations and indices must be of the same shape')

        if isinstance(d_encoding, list) and ratios.shape[1] != len(d_encoding):
            raise ValueError(
                'the number of columns in ratios must be equal to the size of d_encoding'
            )

        message = (
            'ratios do not satisfy requirements for the piecewise linear encoding.'
            ' Use rtdl.data.compute_bin_linear_ratios to obtain valid values.'
        )

        lower_bounds = torch.zeros_like(ratios)
        is_first_bin = indices == 0
        lower_bounds[is_first_bin] = -math.inf
        if (ratios < lower_bounds).any():
            raise ValueError(message)
        del lower_bounds

        upper_bounds = torch.ones_like(ratios)
        is_last_bin = indices + 1 == (
            d_encoding
            if isinstance(d_encoding, int)
            else torch.as_tensor(d_encoding, dtype=indices.dtype, device=indices.device)
        )
        upper_bounds[is_last_bin] = math.inf
        if (ratios > upper_bounds).any():
            raise ValueError(message)
        del upper_bounds

        encoding = _LVR_encoding(ratios, indices, d_encoding, 1.0, 0.0, stack=stack)
        return encoding if is_torch else encoding.numpy()

    def compute_piecewise_linear_encoding(X, bin_edges, *, stack):
        bin_indices = compute_bin_indices(X, bin_edges)
        bin_ratios = compute_bin_linear_ratios(X, bin_indices, bin_edges)
        bin_counts = [len(x) - 1 for x in bin_edges]
        return piecewise_linear_encoding(
            bin_ratios,
            bin_indices,
            d_encoding=max(bin_counts) if stack else bin_counts,
        )

    class PiecewiseLinearEncoder:   # (BaseEstimator, TransformerMixin)
        def __init__(self, bin_edges, bin_edges_params, *, stack):
            self.bin_edges = bin_edges
            self.bin_edges_params = bin_edges_params
            self.stack = stack

        def fit(self, X, y=None):
            if y is not None and len(X) != len(y):
                raise ValueError('X and y must have the same first dimension')
            compute_fn = (
                {'quantile': compute_quantile_bin_edges}[self.bin_edges]
                if isinstance(self.bin_edges, str)
                else self.bin_edges
            )
            y_kwarg = (
                {} if y is None or compute_fn is compute_quantile_bin_edges else {'y': y}
            )
            kwargs = {} if self.bin_edges_params is None else self.bin_edges_params
            self.bin_edges_ = compute_fn(X, **y_kwarg, **kwargs)
            return self

        def transform(self, X):
            return compute_piecewise_linear_encoding(X, self.bin_edges_, stack=self.stack)

    def get_category_sizes(X):
        if X.ndim != 2:
            raise ValueError('X must be two-dimensional')
        if not issubclass(X.dtype.type, np.signedinteger):
            raise ValueError('X data type must be integer')
        sizes = []
        for i, column in enumerate(X.T):
            unique_values = np.unique(column)
            min_value = unique_values.min()
            if min_value != 0:
                raise ValueError(
                    f'The minimum value of column {i} is {min_value}, but it must be zero.'
                )
            max_value = unique_values.max()
            if max_value + 1 != len(unique_values):
                raise ValueError(
                    f'The values of column {i} do not fully cover the range from zero to maximum_value={max_value}'
                )

            sizes.append(len(unique_values))
        return sizes

    return SimpleNamespace(**{k: v for k, v in locals().items() if k not in ("torch",)})


from types import SimpleNamespace  # noqa: E402


def piecewise_linear(torch):
    d = build(torch)
    with Out() as o:
        rng = np.random.default_rng(0)
        X_np = rng.standard_normal((12, 3)).astype(np.float32)
        X_np[:, 2] = rng.integers(0, 3, 12)              # few distinct values: a warning
        X = torch.as_tensor(X_np)
        edges = d.compute_quantile_bin_edges(X, 4)
        o.print([tuple(e.shape) for e in edges], [e.dtype for e in edges])
        o.vals += edges
        edges_np = d.compute_quantile_bin_edges(X_np, 4)
        o.print([type(e).__name__ for e in edges_np])
        idx = d.compute_bin_indices(X, edges)
        o.print(idx.dtype, idx.T)
        o.print(d.compute_bin_indices(X_np, edges_np).dtype)
        ratios = d.compute_bin_linear_ratios(X, idx, edges)
        o.vals.append(ratios)
        o.tryit(lambda: d.piecewise_linear_encoding(ratios, idx, [len(e) - 1 for e in edges]))
        o.tryit(lambda: d._LVR_encoding(ratios, idx, 4, 1, 0.0, stack=False))
        o.tryit(lambda: d.compute_bin_linear_ratios(X, idx + 1, edges))
        o.tryit(lambda: d.compute_bin_indices(X[:, :2], edges))
        o.tryit(lambda: d.compute_quantile_bin_edges(X[:, 0], 4))
        o.tryit(lambda: d.compute_quantile_bin_edges(torch.ones(4, 2), 3))
        o.tryit(lambda: d._adjust_bin_counts(X, 1))
        enc = d.PiecewiseLinearEncoder('quantile', {'n_bins': 3}, stack=True).fit(X_np)
        o.print([e.round(4).tolist() for e in enc.bin_edges_])
        o.tryit(lambda: enc.transform(X_np))
        o.print(d.get_category_sizes(np.array([[0, 0, 0], [1, 0, 0], [2, 1, 0]])))
        o.tryit(lambda: d.get_category_sizes(np.array([[1, 0], [2, 1]])))
        o.tryit(lambda: d.get_category_sizes(np.array([[0.0, 1.0]])))
        # quantile bins, their ratios (clipped) as MLP input
        rtdl = rtdl_a.build(torch)
        torch.manual_seed(0)
        feats = torch.cat([ratios.clamp(0, 1), idx.float() / 3], 1)
        mlp = rtdl.MLP.make_baseline(d_in=6, d_first=8, d_intermidiate=None, d_last=None,
                                     n_blocks=1, dropout=0.0, d_out=1)
        o.print(mlp)
        out = mlp(feats)
        o.print(tuple(out.shape))
        o.vals.append(out)
    return o.done()
