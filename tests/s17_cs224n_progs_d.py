"""CS224n's minBERT default project as solved publicly (bert.py's BertSelfAttention /
BertLayer / BertModel with utils.get_extended_attention_mask and init_weights, classifier.py's
BertSentimentClassifier and train loop, optimizer.py's AdamW subclassing
torch.optim.Optimizer and optimizer_test.py; 2edbef4a9b/Stanford-CS224N-Winter-2026
Projects/src/optimizer.py + tests/optimizer_test.py), tiny config, random token ids."""

import math
from types import SimpleNamespace

import numpy as np
from s16_yunjey_progs import Out


def adamw_class(L):
    Optimizer = L.optim.Optimizer

    class AdamW(Optimizer):
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0,
                     correct_bias=True):
            if lr < 0.0:
                raise ValueError(f"Invalid learning rate: {lr} - should be >= 0.0")
            if not 0.0 <= betas[0] < 1.0:
                raise ValueError(f"Invalid beta parameter: {betas[0]} - should be in [0.0, 1.0[")
            if not 0.0 <= betas[1] < 1.0:
                raise ValueError(f"Invalid beta parameter: {betas[1]} - should be in [0.0, 1.0[")
            if not eps >= 0.0:
                raise ValueError(f"Invalid epsilon value: {eps} - should be >= 0.0")
            defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                            correct_bias=correct_bias)
            super().__init__(params, defaults)

        def step(self, closure=None):
            loss = None
            if closure is not None:
                loss = closure()
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = p.grad.data
                    if grad.is_sparse:
                        raise RuntimeError("Adam does not support sparse gradients")
                    state = self.state[p]
                    alpha = group["lr"]
                    if len(state) == 0:
                        state["step"] = 0
                        state["exp_avg"] = L.zeros_like(p.data)
                        state["exp_avg_sq"] = L.zeros_like(p.data)
                    state["step"] += 1
                    exp_avg = state["exp_avg"]
                    exp_avg_sq = state["exp_avg_sq"]
                    beta1, beta2 = group["betas"]
                    exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                    exp_avg_sq.mul_(beta2).add_(grad * grad, alpha=1 - beta2)
                    step = state["step"]
                    bias_correction1 = 1 - beta1 ** step
                    bias_correction2 = 1 - beta2 ** step
                    alpha_t = alpha * math.sqrt(bias_correction2) / bias_correction1
                    p.data.addcdiv_(exp_avg, exp_avg_sq.sqrt().add_(group["eps"]), value=-alpha_t)
                    weight_decay = group["weight_decay"]
                    if weight_decay != 0:
                        p.data.mul_(1 - alpha * weight_decay)
            return loss

    return AdamW


def optimizer_test(L):
    """tests/optimizer_test.py with 60 steps instead of 1000, the state dict afterwards,
    torch.allclose against torch.optim.AdamW run the same way, the constructor's errors."""
    AdamW = adamw_class(L)

    def test_optimizer(opt_class, **kw):
        rng = np.random.default_rng(0)
        L.manual_seed(0)
        model = L.nn.Linear(3, 2, bias=False)
        opt = opt_class(model.parameters(), lr=1e-3, weight_decay=1e-4, **kw)
        for i in range(60):
            opt.zero_grad()
            x = L.FloatTensor(rng.uniform(size=[model.in_features]))
            y_hat = model(x)
            y = L.Tensor([x[0] + x[1], -x[2]])
            loss = ((y - y_hat) ** 2).sum()
            loss.backward()
            opt.step()
        return model.weight.detach(), opt

    with Out() as o:
        actual, opt = test_optimizer(AdamW, correct_bias=True)
        o.print(actual)
        ref, ref_opt = test_optimizer(L.optim.AdamW, eps=1e-6)
        o.print(L.allclose(ref, actual, atol=1e-6, rtol=1e-4))
        o.print("Optimizer test passed!")
        o.print(opt)
        sd = opt.state_dict()
        o.print(sorted(sd['state'][0].keys()), sd['state'][0]['step'], sd['param_groups'])
        o.print(sorted(ref_opt.state_dict()['state'][0].keys()),
                ref_opt.state_dict()['state'][0]['step'])
        o.vals += [actual, ref, sd['state'][0]['exp_avg_sq']]
        w = L.nn.Parameter(L.ones(2))
        o.tryit(lambda: AdamW([w], lr=-1))
        o.tryit(lambda: AdamW([w], betas=(1.0, 0.9)))
        o.tryit(lambda: AdamW([w], eps=-1))
        o.tryit(lambda: AdamW(w))
        o.tryit(lambda: AdamW([]))
        o.tryit(lambda: repr(AdamW([{'params': [w]}, {'params': [w], 'lr': 0.1}])))
        o.tryit(lambda: len(AdamW([{'params': [w]}], lr=0.1).param_groups))
        opt2 = AdamW([w], lr=0.1)
        opt2.add_param_group({'params': [L.nn.Parameter(L.zeros(1))], 'lr': 0.5})
        o.print(opt2)
        o.print(type(opt2.state).__name__, len(opt2.state))
        o.print(type(opt.state), type(opt.state[next(iter(opt.state))]), type(ref_opt.state))
    return o.done()


def get_extended_attention_mask(L, attention_mask, dtype):
    extended_attention_mask = attention_mask[:, None, None, :]
    extended_attention_mask = extended_attention_mask.to(dtype=dtype)
    extended_attention_mask = (1.0 - extended_attention_mask) * -10000.0
    return extended_attention_mask


def bert_classes(L):
    nn, F = L.nn, L.nn.functional

    class BertSelfAttention(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.num_attention_heads = config.num_attention_heads
            self.attention_head_size = int(config.hidden_size / config.num_attention_heads)
            self.all_head_size = self.num_attention_heads * self.attention_head_size
            self.query = nn.Linear(config.hidden_size, self.all_head_size)
            self.key = nn.Linear(config.hidden_size, self.all_head_size)
            self.value = nn.Linear(config.hidden_size, self.all_head_size)
            self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

        def transform(self, x, linear_layer):
            bs, seq_len = x.shape[:2]
            proj = linear_layer(x)
            proj = proj.view(bs, seq_len, self.num_attention_heads, self.attention_head_size)
            proj = proj.transpose(1, 2)
            return proj

        def attention(self, key, query, value, attention_mask):
            bs, h, seq_len, d = key.shape
            S = L.matmul(query, key.transpose(-1, -2)) / math.sqrt(self.attention_head_size)
            S = S + attention_mask
            probs = F.softmax(S, dim=-1)
            probs = self.dropout(probs)
            attn = L.matmul(probs, value)
            attn = attn.transpose(1, 2).contiguous().view(bs, seq_len, self.all_head_size)
            return attn

        def forward(self, hidden_states, attention_mask):
            key_layer = self.transform(hidden_states, self.key)
            value_layer = self.transform(hidden_states, self.value)
            query_layer = self.transform(hidden_states, self.query)
            return self.attention(key_layer, query_layer, value_layer, attention_mask)

    class BertLayer(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.self_attention = BertSelfAttention(config)
            self.attention_dense = nn.Linear(config.hidden_size, config.hidden_size)
            self.attention_layer_norm = nn.LayerNorm(config.hidden_size,
                                                     eps=config.layer_norm_eps)
            self.attention_dropout = nn.Dropout(config.hidden_dropout_prob)
            self.interm_dense = nn.Linear(config.hidden_size, config.intermediate_size)
            self.interm_af = F.gelu
            self.out_dense = nn.Linear(config.intermediate_size, config.hidden_size)
            self.out_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
            self.out_dropout = nn.Dropout(config.hidden_dropout_prob)

        def add_norm(self, input, output, dense_layer, dropout, ln_layer):
            return ln_layer(input + dropout(dense_layer(output)))

        def forward(self, hidden_states, attention_mask):
            attn = self.self_attention(hidden_states, attention_mask)
            h = self.add_norm(hidden_states, attn, self.attention_dense,
                              self.attention_dropout, self.attention_layer_norm)
            f = self.interm_af(self.interm_dense(h))
            return self.add_norm(h, f, self.out_dense, self.out_dropout, self.out_layer_norm)

    class BertModel(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.config = config
            self.word_embedding = nn.Embedding(config.vocab_size, config.hidden_size,
                                               padding_idx=config.pad_token_id)
            self.pos_embedding = nn.Embedding(config.max_position_embeddings,
                                              config.hidden_size)
            self.tk_type_embedding = nn.Embedding(config.type_vocab_size, config.hidden_size)
            self.embed_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
            self.embed_dropout = nn.Dropout(config.hidden_dropout_prob)
            position_ids = L.arange(config.max_position_embeddings).unsqueeze(0)
            self.register_buffer('position_ids', position_ids)
            self.bert_layers = nn.ModuleList([BertLayer(config)
                                              for _ in range(config.num_hidden_layers)])
            self.pooler_dense = nn.Linear(config.hidden_size, config.hidden_size)
            self.pooler_af = nn.Tanh()
            self.apply(self._init_weights)

        def _init_weights(self, module):
            if isinstance(module, (nn.Linear, nn.Embedding)):
                module.weight.data.normal_(mean=0.0, std=self.config.initializer_range)
            elif isinstance(module, nn.LayerNorm):
                module.bias.data.zero_()
                module.weight.data.fill_(1.0)
            if isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.data.zero_()

        @property
        def dtype(self):
            return next(self.parameters()).dtype

        def embed(self, input_ids):
            input_shape = input_ids.size()
            seq_length = input_shape[1]
            inputs_embeds = self.word_embedding(input_ids)
            pos_ids = self.position_ids[:, :seq_length]
            pos_embeds = self.pos_embedding(pos_ids)
            tk_type_ids = L.zeros(input_shape, dtype=L.long, device=input_ids.device)
            tk_type_embeds = self.tk_type_embedding(tk_type_ids)
            embeds = inputs_embeds + pos_embeds + tk_type_embeds
            return self.embed_dropout(self.embed_layer_norm(embeds))

        def encode(self, hidden_states, attention_mask):
            extended_attention_mask = get_extended_attention_mask(L, attention_mask, self.dtype)
            for i, layer_module in enumerate(self.bert_layers):
                hidden_states = layer_module(hidden_states, extended_attention_mask)
            return hidden_states

        def forward(self, input_ids, attention_mask):
            embedding_output = self.embed(input_ids=input_ids)
            sequence_output = self.encode(embedding_output, attention_mask=attention_mask)
            first_tk = sequence_output[:, 0]
            first_tk = self.pooler_af(self.pooler_dense(first_tk))
            return {'last_hidden_state': sequence_output, 'pooler_output': first_tk}

    class BertSentimentClassifier(nn.Module):
        def __init__(self, config):
            super(BertSentimentClassifier, self).__init__()
            self.num_labels = config.num_labels
            self.bert = BertModel(config)
            for param in self.bert.parameters():
                if config.option == 'pretrain':
                    param.requires_grad = False
                elif config.option == 'finetune':
                    param.requires_grad = True
            self.dropout = nn.Dropout(config.hidden_dropout_prob)
            self.classifier = nn.Linear(config.hidden_size, self.num_labels)

        def forward(self, input_ids, attention_mask):
            out = self.bert(input_ids, attention_mask)
            return self.classifier(self.dropout(out['pooler_output']))

    return BertModel, BertSentimentClassifier


def _config(option):
    return SimpleNamespace(vocab_size=30, hidden_size=8, num_attention_heads=2,
                           num_hidden_layers=2, intermediate_size=16,
                           max_position_embeddings=12, type_vocab_size=2, pad_token_id=0,
                           layer_norm_eps=1e-12, hidden_dropout_prob=0.1,
                           attention_probs_dropout_prob=0.1, initializer_range=0.02,
                           num_labels=5, option=option)


def sentiment_classifier(L, option='finetune'):
    """classifier.py's train(): padded batches with attention masks, cross_entropy summed over
    the batch / batch_size, the project's AdamW, eval with argmax, 2 epochs."""
    F = L.nn.functional
    AdamW = adamw_class(L)
    _, BertSentimentClassifier = bert_classes(L)
    with Out() as o:
        L.manual_seed(0)
        config = _config(option)
        model = BertSentimentClassifier(config)
        rng = np.random.default_rng(0)
        lengths = [7, 5, 3, 6]
        ids = np.zeros((4, 7), dtype=np.int64)
        mask = np.zeros((4, 7), dtype=np.int64)
        for i, n in enumerate(lengths):
            ids[i, :n] = rng.integers(1, 30, n)
            mask[i, :n] = 1
        b_ids, b_mask = L.LongTensor(ids), L.LongTensor(mask)
        b_labels = L.tensor(rng.integers(0, 5, 4))
        optimizer = AdamW(model.parameters(), lr=1e-3 if option == 'pretrain' else 1e-5)
        n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
        o.print(f"trainable parameters: {n_train}")
        batch_size = 4
        for epoch in range(2):
            model.train()
            optimizer.zero_grad()
            logits = model(b_ids, b_mask)
            loss = F.cross_entropy(logits, b_labels.view(-1), reduction='sum') / batch_size
            loss.backward()
            optimizer.step()
            model.eval()
            with L.no_grad():
                preds = np.argmax(model(b_ids, b_mask).cpu().numpy(), axis=1).flatten()
            o.print(f"Epoch {epoch}: train loss :: {loss.item():.4f}, preds :: {preds.tolist()}")
        o.vals += [logits, model.classifier.weight, model.bert.pooler_dense.weight]
        ext = get_extended_attention_mask(L, b_mask, L.float32)
        o.print(ext.shape, ext.dtype, ext[2, 0, 0])
        o.print(model.bert.position_ids.dtype, [n for n, _ in model.bert.named_buffers()])
        o.print(sum(1 for p in model.parameters() if p.grad is not None))
    return o.done()


def sentiment_pretrain(L):
    return sentiment_classifier(L, 'pretrain')
