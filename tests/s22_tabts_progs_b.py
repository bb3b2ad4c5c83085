"""yandex-research/rtdl, rtdl/modules.py continued: MultiheadAttention, Transformer (FFN, Head,
prenormalization, kv compression, last_layer_query_idx) and FTTransformer (make_baseline,
make_default, optimization_param_groups, make_default_optimizer), transcribed; the classes of
s22_tabts_progs.py added per library by ``build(torch)``."""

import math
import warnings
from typing import cast

import s22_tabts_progs as base


def build(torch):
    ns = base.build(torch)
    nn, F, optim = ns.nn, ns.F, ns.optim
    _all_or_none, _make_nn_module = ns._all_or_none, ns._make_nn_module
    _is_glu_activation = ns._is_glu_activation
    FeatureTokenizer, AppendCLSToken = ns.FeatureTokenizer, ns.AppendCLSToken

    class MultiheadAttention(nn.Module):
        def __init__(self, *, d_token, n_heads, dropout, bias, initialization):
            super().__init__()
            if n_heads > 1:
                assert d_token % n_heads == 0
            assert initialization in ['kaiming', 'xavier']

            self.W_q = nn.Linear(d_token, d_token, bias)
            self.W_k = nn.Linear(d_token, d_token, bias)
            self.W_v = nn.Linear(d_token, d_token, bias)
            self.W_out = nn.Linear(d_token, d_token, bias) if n_heads > 1 else None
            self.n_heads = n_heads
            self.dropout = nn.Dropout(dropout) if dropout else None

            for m in [self.W_q, self.W_k, self.W_v]:
                if initialization == 'xavier' and (
                    m is not self.W_v or self.W_out is not None
                ):
                    nn.init.xavier_uniform_(m.weight, gain=1 / math.sqrt(2))
                nn.init.zeros_(m.bias)
            if self.W_out is not None:
                nn.init.zeros_(self.W_out.bias)

        def _reshape(self, x):
            batch_size, n_tokens, d = x.shape
            d_head = d // self.n_heads
            return (
                x.reshape(batch_size, n_tokens, self.n_heads, d_head)
                .transpose(1, 2)
                .reshape(batch_size * self.n_heads, n_tokens, d_head)
            )

        def forward(self, x_q, x_kv, key_compression, value_compression):
            _all_or_none([key_compression, value_compression])
            q, k, v = self.W_q(x_q), self.W_k(x_kv), self.W_v(x_kv)
            for tensor in [q, k, v]:
                assert tensor.shape[-1] % self.n_heads == 0
            if key_compression is not None:
                k = key_compression(k.transpose(1, 2)).transpose(1, 2)
                v = value_compression(v.transpose(1, 2)).transpose(1, 2)

            batch_size = len(q)
            d_head_key = k.shape[-1] // self.n_heads
            d_head_value = v.shape[-1] // self.n_heads
            n_q_tokens = q.shape[1]

            q = self._reshape(q)
            k = self._reshape(k)
            attention_logits = q @ k.transpose(1, 2) / math.sqrt(d_head_key)
            attention_probs = F.softmax(attention_logits, dim=-1)
            if self.dropout is not None:
                attention_probs = self.dropout(attention_probs)
            x = attention_probs @ self._reshape(v)
            x = (
                x.reshape(batch_size, self.n_heads, n_q_tokens, d_head_value)
                .transpose(1, 2)
                .reshape(batch_size, n_q_tokens, self.n_heads * d_head_value)
            )
            if self.W_out is not None:
                x = self.W_out(x)
            return x, {
                'attention_logits': attention_logits,
                'attention_probs': attention_probs,
            }

    class Transformer(nn.Module):
        WARNINGS = {'first_prenormalization': True, 'prenormalization': True}

        class FFN(nn.Module):
            def __init__(self, *, d_token, d_intermidiate, bias_first, bias_second, dropout,
                         activation):
                super().__init__()
                self.linear_first = nn.Linear(
                    d_token,
                    d_intermidiate * (2 if _is_glu_activation(activation) else 1),
                    bias_first,
                )
                self.activation = _make_nn_module(activation)
                self.dropout = nn.Dropout(dropout)
                self.linear_second = nn.Linear(d_intermidiate, d_token, bias_second)

            def forward(self, x):
                x = self.linear_first(x)
                x = self.activation(x)
                x = self.dropout(x)
                x = self.linear_second(x)
                return x

        class Head(nn.Module):
            def __init__(self, *, d_in, bias, activation, normalization, d_out):
                super().__init__()
                self.normalization = _make_nn_module(normalization, d_in)
                self.activation = _make_nn_module(activation)
                self.linear = nn.Linear(d_in, d_out, bias)

            def forward(self, x):
                x = x[:, -1]
                x = self.normalization(x)
                x = self.activation(x)
                x = self.linear(x)
                return x

        def __init__(self, *, d_token, n_blocks, attention_n_heads, attention_dropout,
                     attention_initialization, ffn_d_intermidiate, ffn_dropout,
                     ffn_activation, residual_dropout, normalization, prenormalization,
                     first_prenormalization, last_layer_query_idx, n_tokens,
                     kv_compression_ratio, kv_compression_sharing, head_activation, d_out):
            super().__init__()
            _all_or_none([n_tokens, kv_compression_ratio, kv_compression_sharing])
            assert kv_compression_sharing in [None, 'headwise', 'key-value', 'layerwise']
            if not prenormalization:
                if self.WARNINGS['prenormalization']:
                    warnings.warn(
                        'prenormalization is set to False. Are you sure about this? '
                        'The training may become less stable. '
                        'You can turn off this warning by tweaking the '
                        'rtdl.Transformer.WARNINGS dictionary.',
                        UserWarning,
                    )
                assert not first_prenormalization

            def make_kv_compression():
                assert kv_compression_ratio and n_tokens
                return nn.Linear(n_tokens, int(n_tokens * kv_compression_ratio), bias=False)

            self.shared_kv_compression = (
                make_kv_compression()
                if kv_compression_ratio and kv_compression_sharing == 'layerwise'
                else None
            )

            self.prenormalization = prenormalization
            self.last_layer_query_idx = last_layer_query_idx

            self.blocks = nn.ModuleList([])
            for layer_idx in range(n_blocks):
                layer = nn.ModuleDict(
                    {
                        'attention': MultiheadAttention(
                            d_token=d_token,
                            n_heads=attention_n_heads,
                            dropout=attention_dropout,
                            bias=True,
                            initialization=attention_initialization,
                        ),
                        'ffn': Transformer.FFN(
                            d_token=d_token,
                            d_intermidiate=ffn_d_intermidiate,
                            bias_first=True,
                            bias_second=True,
                            dropout=ffn_dropout,
                            activation=ffn_activation,
                        ),
                        'attention_residual_dropout': nn.Dropout(residual_dropout),
                        'ffn_residual_dropout': nn.Dropout(residual_dropout),
                        'output': nn.Identity(),
                    }
                )
                if layer_idx or not prenormalization or first_prenormalization:
                    layer['attention_normalization'] = _make_nn_module(
                        normalization, d_token
                    )
                layer['ffn_normalization'] = _make_nn_module(normalization, d_token)
                if kv_compression_ratio and self.shared_kv_compression is None:
                    layer['key_compression'] = make_kv_compression()
                    if kv_compression_sharing == 'headwise':
                        layer['value_compression'] = make_kv_compression()
                    else:
                        assert kv_compression_sharing == 'key-value'
                self.blocks.append(layer)

            self.head = Transformer.Head(
                d_in=d_token,
                d_out=d_out,
                bias=True,
                activation=head_activation,
                normalization=normalization if prenormalization else 'Identity',
            )

        def _get_kv_compressions(self, layer):
            return (
                (self.shared_kv_compression, self.shared_kv_compression)
                if self.shared_kv_compression is not None
                else (layer['key_compression'], layer['value_compression'])
                if 'key_compression' in layer and 'value_compression' in layer
                else (layer['key_compression'], layer['key_compression'])
                if 'key_compression' in layer
                else (None, None)
            )

        def _start_residual(self, layer, stage, x):
            assert stage in ['attention', 'ffn']
            x_residual = x
            if self.prenormalization:
                norm_key = f'{stage}_normalization'
                if norm_key in layer:
                    x_residual = layer[norm_key](x_residual)
            return x_residual

        def _end_residual(self, layer, stage, x, x_residual):
            assert stage in ['attention', 'ffn']
            x_residual = layer[f'{stage}_residual_dropout'](x_residual)
            x = x + x_residual
            if not self.prenormalization:
                x = layer[f'{stage}_normalization'](x)
            return x

        def forward(self, x):
            assert x.ndim == 3
            for layer_idx, layer in enumerate(self.blocks):
                layer = cast(nn.ModuleDict, layer)

                query_idx = (
                    self.last_layer_query_idx if layer_idx + 1 == len(self.blocks) else None
                )
                x_residual = self._start_residual(layer, 'attention', x)
                x_residual, _ = layer['attention'](
                    x_residual if query_idx is None else x_residual[:, query_idx],
                    x_residual,
                    *self._get_kv_compressions(layer),
                )
                if query_idx is not None:
                    x = x[:, query_idx]
                x = self._end_residual(layer, 'attention', x, x_residual)

                x_residual = self._start_residual(layer, 'ffn', x)
                x_residual = layer['ffn'](x_residual)
                x = self._end_residual(layer, 'ffn', x, x_residual)
                x = layer['output'](x)

            x = self.head(x)
            return x

    class FTTransformer(nn.Module):
        def __init__(self, feature_tokenizer, transformer):
            super().__init__()
            if transformer.prenormalization:
                assert 'attention_normalization' not in transformer.blocks[0]
            self.feature_tokenizer = feature_tokenizer
            self.append_cls_token = AppendCLSToken(
                feature_tokenizer.d_token, feature_tokenizer.initialization
            )
            self.transformer = transformer

        @classmethod
        def get_baseline_transformer_subconfig(cls):
            return {
                'attention_n_heads': 8,
                'attention_initialization': 'kaiming',
                'ffn_activation': 'ReGLU',
                'normalization': 'LayerNorm',
                'prenormalization': True,
                'first_prenormalization': False,
                'last_layer_query_idx': None,
                'n_tokens': None,
                'kv_compression_ratio': None,
                'kv_compression_sharing': None,
                'head_activation': 'ReLU',
            }

        @classmethod
        def _make(cls, n_num_features, cat_cardinalities, transformer_config):
            feature_tokenizer = FeatureTokenizer(
                n_num_features=n_num_features,
                cat_cardinalities=cat_cardinalities,
                d_token=transformer_config['d_token'],
            )
            if transformer_config['d_out'] is None:
                transformer_config['head_activation'] = None
            if transformer_config['kv_compression_ratio'] is not None:
                transformer_config['n_tokens'] = feature_tokenizer.n_tokens + 1
            return FTTransformer(
                feature_tokenizer,
                Transformer(**transformer_config),
            )

        @classmethod
        def make_baseline(cls, *, n_num_features, cat_cardinalities, d_token, n_blocks,
                          attention_dropout, ffn_d_intermidiate, ffn_dropout,
                          residual_dropout, last_layer_query_idx=None,
                          kv_compression_ratio=None, kv_compression_sharing=None, d_out):
            transformer_config = cls.get_baseline_transformer_subconfig()
            for arg_name in [
                'n_blocks',
                'attention_dropout',
                'ffn_d_intermidiate',
                'ffn_dropout',
                'residual_dropout',
                'last_layer_query_idx',
                'kv_compression_ratio',
                'kv_compression_sharing',
                'd_out',
            ]:
                transformer_config[arg_name] = locals()[arg_name]
            transformer_config['d_token'] = d_token
            return cls._make(n_num_features, cat_cardinalities, transformer_config)

        def optimization_param_groups(self):
            no_wd_names = ['feature_tokenizer', 'normalization', '.bias']
            assert isinstance(getattr(self, no_wd_names[0], None), FeatureTokenizer)
            assert (
                sum(1 for name, _ in self.named_modules() if no_wd_names[1] in name)
                == len(self.transformer.blocks) * 2
                - int('attention_normalization' not in self.transformer.blocks[0])
                + 1
            )

            def needs_wd(name):
                return all(x not in name for x in no_wd_names)

            return [
                {'params': [v for k, v in self.named_parameters() if needs_wd(k)]},
                {
                    'params': [v for k, v in self.named_parameters() if not needs_wd(k)],
                    'weight_decay': 0.0,
                },
            ]

        def make_default_optimizer(self):
            return optim.AdamW(
                self.optimization_param_groups(),
                lr=1e-4,
                weight_decay=1e-5,
            )

        def forward(self, x_num, x_cat):
            x = self.feature_tokenizer(x_num, x_cat)
            x = self.append_cls_token(x)
            x = self.transformer(x)
            return x

    ns.MultiheadAttention, ns.Transformer, ns.FTTransformer = (
        MultiheadAttention, Transformer, FTTransformer)
    return ns
