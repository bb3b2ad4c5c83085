"""yandex-research/rtdl as users type it: rtdl/functional.py (reglu, geglu) and rtdl/modules.py
(ReGLU / GEGLU, _TokenInitialization, NumericalFeatureTokenizer, CategoricalFeatureTokenizer,
FlatEmbedding, FeatureTokenizer, AppendCLSToken, _make_nn_module, MLP and ResNet with their
make_baseline, MultiheadAttention, Transformer with prenormalization / kv compression, and
FTTransformer with make_baseline / make_default and optimization_param_groups).
``build(torch)`` returns the classes per library; the programs are in s22_tabts_progs_b.py."""

import enum
import math
from types import SimpleNamespace


def build(torch):
    nn, F, optim, Tensor = torch.nn, torch.nn.functional, torch.optim, torch.Tensor

    def reglu(x):
        assert x.shape[-1] % 2 == 0
        a, b = x.chunk(2, dim=-1)
        return a * F.relu(b)

    def geglu(x):
        assert x.shape[-1] % 2 == 0
        a, b = x.chunk(2, dim=-1)
        return a * F.gelu(b)

    def _is_glu_activation(activation):
        return (
            isinstance(activation, str)
            and activation.endswith('GLU')
            or activation in [ReGLU, GEGLU]
        )

    def _all_or_none(values):
        assert all(x is None for x in values) or all(x is not None for x in values)

    class ReGLU(nn.Module):
        def forward(self, x):
            return reglu(x)

    class GEGLU(nn.Module):
        def forward(self, x):
            return geglu(x)

    class _TokenInitialization(enum.Enum):
        UNIFORM = 'uniform'
        NORMAL = 'normal'

        @classmethod
        def from_str(cls, initialization):
            try:
                return cls(initialization)
            except ValueError:
                valid_values = [x.value for x in _TokenInitialization]
                raise ValueError(f'initialization must be one of {valid_values}')

        def apply(self, x, d):
            d_sqrt_inv = 1 / math.sqrt(d)
            if self == _TokenInitialization.UNIFORM:
                nn.init.uniform_(x, a=-d_sqrt_inv, b=d_sqrt_inv)
            elif self == _TokenInitialization.NORMAL:
                nn.init.normal_(x, std=d_sqrt_inv)

    class NumericalFeatureTokenizer(nn.Module):
        def __init__(self, n_features, d_token, bias, initialization):
            super().__init__()
            initialization_ = _TokenInitialization.from_str(initialization)
            self.weight = nn.Parameter(Tensor(n_features, d_token))
            self.bias = nn.Parameter(Tensor(n_features, d_token)) if bias else None
            for parameter in [self.weight, self.bias]:
                if parameter is not None:
                    initialization_.apply(parameter, d_token)

        @property
        def n_tokens(self):
            return len(self.weight)

        @property
        def d_token(self):
            return self.weight.shape[1]

        def forward(self, x):
            x = self.weight[None] * x[..., None]
            if self.bias is not None:
                x = x + self.bias[None]
            return x

    class CategoricalFeatureTokenizer(nn.Module):
        def __init__(self, cardinalities, d_token, bias, initialization):
            super().__init__()
            assert cardinalities
            assert d_token > 0
            initialization_ = _TokenInitialization.from_str(initialization)

            category_offsets = torch.tensor([0] + cardinalities[:-1]).cumsum(0)
            self.register_buffer('category_offsets', category_offsets, persistent=False)
            self.embeddings = nn.Embedding(sum(cardinalities), d_token)
            self.bias = nn.Parameter(Tensor(len(cardinalities), d_token)) if bias else None

            for parameter in [self.embeddings.weight, self.bias]:
                if parameter is not None:
                    initialization_.apply(parameter, d_token)

        @property
        def n_tokens(self):
            return len(self.category_offsets)

        @property
        def d_token(self):
            return self.embeddings.embedding_dim

        def forward(self, x):
            x = self.embeddings(x + self.category_offsets[None])
            if self.bias is not None:
                x = x + self.bias[None]
            return x

    class FlatEmbedding(nn.Module):
        def __init__(self, *modules):
            super().__init__()
            assert modules
            self.modules_ = nn.ModuleList(
                [nn.Identity() if x is None else x for x in modules]
            )

        def forward(self, *inputs):
            assert len(self.modules_) == len(inputs)
            return torch.cat(
                [torch.flatten(m(x), 1, -1) for m, x in zip(self.modules_, inputs)],
                dim=1,
            )

    class FeatureTokenizer(nn.Module):
        def __init__(self, n_num_features, cat_cardinalities, d_token):
            super().__init__()
            assert n_num_features >= 0
            assert n_num_features or cat_cardinalities
            self.initialization = 'uniform'
            self.num_tokenizer = (
                NumericalFeatureTokenizer(
                    n_features=n_num_features,
                    d_token=d_token,
                    bias=True,
                    initialization=self.initialization,
                )
                if n_num_features
                else None
            )
            self.cat_tokenizer = (
                CategoricalFeatureTokenizer(
                    cat_cardinalities, d_token, True, self.initialization
                )
                if cat_cardinalities
                else None
            )

        @property
        def n_tokens(self):
            return sum(
                x.n_tokens
                for x in [self.num_tokenizer, self.cat_tokenizer]
                if x is not None
            )

        @property
        def d_token(self):
            return (
                self.cat_tokenizer.d_token
                if self.num_tokenizer is None
                else self.num_tokenizer.d_token
            )

        def forward(self, x_num, x_cat):
            assert x_num is not None or x_cat is not None
            _all_or_none([self.num_tokenizer, x_num])
            _all_or_none([self.cat_tokenizer, x_cat])
            x = []
            if self.num_tokenizer is not None:
                x.append(self.num_tokenizer(x_num))
            if self.cat_tokenizer is not None:
                x.append(self.cat_tokenizer(x_cat))
            return x[0] if len(x) == 1 else torch.cat(x, dim=1)

    class AppendCLSToken(nn.Module):
        def __init__(self, d_token, initialization):
            super().__init__()
            initialization_ = _TokenInitialization.from_str(initialization)
            self.weight = nn.Parameter(Tensor(d_token))
            initialization_.apply(self.weight, d_token)

        def forward(self, x):
            assert x.ndim == 3
            return torch.cat([x, self.weight.view(1, 1, -1).repeat(len(x), 1, 1)], dim=1)

    def _make_nn_module(module_type, *args):
        return (
            (
                ReGLU()
                if module_type == 'ReGLU'
                else GEGLU()
                if module_type == 'GEGLU'
                else getattr(nn, module_type)(*args)
            )
            if isinstance(module_type, str)
            else module_type(*args)
        )

    class MLP(nn.Module):
        class Block(nn.Module):
            def __init__(self, *, d_in, d_out, bias, activation, dropout):
                super().__init__()
                self.linear = nn.Linear(d_in, d_out, bias)
                self.activation = _make_nn_module(activation)
                self.dropout = nn.Dropout(dropout)

            def forward(self, x):
                return self.dropout(self.activation(self.linear(x)))

        class Head(nn.Linear):
            pass

        def __init__(self, *, d_in, d_layers, dropouts, activation, d_out):
            super().__init__()
            assert d_layers or d_out
            if isinstance(dropouts, float):
                dropouts = [dropouts] * len(d_layers)
            assert len(d_layers) == len(dropouts)

            self.blocks = nn.Sequential(
                *[
                    MLP.Block(
                        d_in=d_layers[i - 1] if i else d_in,
                        d_out=d,
                        bias=True,
                        activation=activation,
                        dropout=dropout,
                    )
                    for i, (d, dropout) in enumerate(zip(d_layers, dropouts))
                ]
            )
            self.head = MLP.Head(d_layers[-1] if d_layers else d_in, d_out)

        @classmethod
        def make_baseline(cls, d_in, d_first, d_intermidiate, d_last, n_blocks, dropout,
                          d_out):
            assert isinstance(dropout, float)
            for (d, n) in [(d_first, 1), (d_last, 2), (d_intermidiate, 3)]:
                assert (n_blocks >= n) ^ (d is None)
            d_layers = []
            if n_blocks >= 1:
                d_layers.append(d_first)
            if n_blocks >= 3:
                d_layers.extend([d_intermidiate] * (n_blocks - 2))
            if n_blocks >= 2:
                d_layers.append(d_last)
            return MLP(
                d_in=d_in,
                d_layers=d_layers,
                dropouts=dropout,
                activation='ReLU',
                d_out=d_out,
            )

        def forward(self, x):
            x = self.blocks(x)
            x = self.head(x)
            return x

    class ResNet(nn.Module):
        class Block(nn.Module):
            def __init__(self, *, d_main, d_intermidiate, bias_first, bias_second,
                         dropout_first, dropout_second, normalization, activation,
                         skip_connection):
                super().__init__()
                self.normalization = _make_nn_module(normalization, d_main)
                self.linear_first = nn.Linear(d_main, d_intermidiate, bias_first)
                self.activation = _make_nn_module(activation)
                self.dropout_first = nn.Dropout(dropout_first)
                self.linear_second = nn.Linear(d_intermidiate, d_main, bias_second)
                self.dropout_second = nn.Dropout(dropout_second)
                self.skip_connection = skip_connection

            def forward(self, x):
                x_input = x
                x = self.normalization(x)
                x = self.linear_first(x)
                x = self.activation(x)
                x = self.dropout_first(x)
                x = self.linear_second(x)
                x = self.dropout_second(x)
                if self.skip_connection:
                    x = x_input + x
                return x

        class Head(nn.Module):
            def __init__(self, *, d_in, d_out, bias, normalization, activation):
                super().__init__()
                self.normalization = _make_nn_module(normalization, d_in)
                self.activation = _make_nn_module(activation)
                self.linear = nn.Linear(d_in, d_out, bias)

            def forward(self, x):
                if self.normalization is not None:
                    x = self.normalization(x)
                x = self.activation(x)
                x = self.linear(x)
                return x

        def __init__(self, *, d_in, n_blocks, d_main, d_intermidiate, dropout_first,
                     dropout_second, normalization, activation, d_out):
            super().__init__()
            self.first_layer = nn.Linear(d_in, d_main)
            if d_main is None:
                d_main = d_in
            self.blocks = nn.Sequential(
                *[
                    ResNet.Block(
                        d_main=d_main,
                        d_intermidiate=d_intermidiate,
                        bias_first=True,
                        bias_second=True,
                        dropout_first=dropout_first,
                        dropout_second=dropout_second,
                        normalization=normalization,
                        activation=activation,
                        skip_connection=True,
                    )
                    for _ in range(n_blocks)
                ]
            )
            self.head = ResNet.Head(
                d_in=d_main,
                d_out=d_out,
                bias=True,
                normalization=normalization,
                activation=activation,
            )

        @classmethod
        def make_baseline(cls, *, d_in, d_main, d_intermidiate, dropout_first,
                          dropout_second, n_blocks, d_out):
            return cls(
                d_in=d_in,
                n_blocks=n_blocks,
                d_main=d_main,
                d_intermidiate=d_intermidiate,
                dropout_first=dropout_first,
                dropout_second=dropout_second,
                normalization='BatchNorm1d',
                activation='ReLU',
                d_out=d_out,
            )

        def forward(self, x):
            x = self.first_layer(x)
            x = self.blocks(x)
            x = self.head(x)
            return x

    ns = SimpleNamespace(**{k: v for k, v in locals().items()
                            if k not in ("torch", "nn", "F", "optim", "Tensor")})
    ns.torch, ns.nn, ns.F, ns.optim, ns.Tensor = torch, nn, F, optim, Tensor
    return ns
