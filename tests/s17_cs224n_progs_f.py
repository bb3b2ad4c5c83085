"""The CS224n GPT-2 project's sonnet_generation.py generate() (temperature, top-p nucleus
filtering with sort / cumsum / scatter of a bool mask, multinomial) and
paraphrase_detection.py's head on the last non-pad token, on a tiny stand-in model
(2edbef4a9b/Stanford-CS224N-Winter-2026 Projects/tests/sonnet_generation.py,
paraphrase_detection.py)."""

from s16_yunjey_progs import Out


def _top_p(L, logits, top_p):
    F = L.nn.functional
    probs = F.softmax(logits, dim=-1)
    sorted_probs, sorted_indices = L.sort(probs, descending=True)
    cumulative_probs = L.cumsum(sorted_probs, dim=-1)
    top_p_mask = cumulative_probs <= top_p
    top_p_mask[..., 1:] = top_p_mask[..., :-1].clone()
    top_p_mask[..., 0] = True
    filtered_probs = sorted_probs * top_p_mask
    filtered_probs /= filtered_probs.sum(dim=-1, keepdim=True)
    return filtered_probs, sorted_indices


def sonnet_generate(L):
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        L.manual_seed(0)
        emb = nn.Embedding(16, 8)
        rnn = nn.GRU(8, 8, batch_first=True)
        head = nn.Linear(8, 16)
        eos = 2

        @L.no_grad()
        def generate(encoding, temperature=0.7, top_p=0.9, max_length=10):
            token_ids = encoding
            attention_mask = L.ones(token_ids.shape, dtype=L.int64)
            for _ in range(max_length):
                h, _ = rnn(emb(token_ids))
                logits_sequence = head(h)
                logits_last_token = logits_sequence[:, -1, :] / temperature
                filtered_probs, sorted_indices = _top_p(L, logits_last_token, top_p)
                sampled_index = L.multinomial(filtered_probs, 1)
                sampled_token = sorted_indices.gather(dim=-1, index=sampled_index)
                if sampled_token.item() == eos:
                    break
                token_ids = L.cat([token_ids, sampled_token], dim=1)
                attention_mask = L.cat([attention_mask,
                                        L.ones((1, 1), dtype=L.int64)], dim=1)
            return token_ids, attention_mask

        ids, mask = generate(L.tensor([[1, 5, 7]]))
        o.print(ids.tolist(), mask.sum().item(), mask.dtype)
        ids, mask = generate(L.tensor([[3]]), temperature=1.2, top_p=0.5, max_length=6)
        o.print(ids.tolist())
        logits = L.randn(3, 6)
        fp, si = _top_p(L, logits, 0.6)
        o.vals += [fp, si]
        # the nucleus filter with a bool mask scattered back to vocabulary order
        sorted_logits, sorted_indices = L.sort(logits, descending=True, dim=-1)
        cum = L.cumsum(F.softmax(sorted_logits, dim=-1), dim=-1)
        remove = cum > 0.6
        remove[..., 1:] = remove[..., :-1].clone()
        remove[..., 0] = 0
        indices_to_remove = remove.scatter(1, sorted_indices, remove)
        o.print(indices_to_remove, indices_to_remove.dtype)
        z = L.zeros_like(logits, dtype=L.bool)
        z.scatter_(-1, sorted_indices, remove)
        o.print(L.equal(z, indices_to_remove))
        lg = logits.clone()
        lg[indices_to_remove] = -float('inf')
        o.print(lg)
        keep = L.ones_like(logits, dtype=L.bool)
        keep.scatter_(-1, L.topk(logits, 2, dim=-1)[1], False)
        o.print(keep)
        o.vals += [F.softmax(lg, dim=-1)]
    return o.done()


def paraphrase_head(L):
    """ParaphraseGPT: the hidden state of the last non-pad token into Linear(d, 2), cross
    entropy on labels, two AdamW steps; predictions by argmax; loss printed."""
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        L.manual_seed(0)
        emb = nn.Embedding(20, 8, padding_idx=0)
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0,
                                                               batch_first=True), 1,
                                    enable_nested_tensor=False)
        head = nn.Linear(8, 2)
        params = list(emb.parameters()) + list(enc.parameters()) + list(head.parameters())
        opt = L.optim.AdamW(params, lr=1e-3, weight_decay=0.)
        ids = L.tensor([[4, 5, 6, 0, 0], [7, 8, 9, 10, 11], [12, 13, 0, 0, 0]])
        mask = (ids != 0).long()
        labels = L.tensor([1, 0, 1])
        for step in range(2):
            h = enc(emb(ids), src_key_padding_mask=mask == 0)
            last = h[L.arange(h.shape[0]), mask.sum(dim=1) - 1]
            logits = head(last)
            loss = F.cross_entropy(logits, labels, reduction='mean')
            opt.zero_grad()
            loss.backward()
            opt.step()
            preds = logits.argmax(dim=-1).flatten().cpu().numpy()
            o.print(f"step {step} loss {loss.item():.4f} preds {preds.tolist()}")
        o.vals += [logits, head.weight, emb.weight.grad]
    return o.done()


class _Vocab:
    """vocab.Vocab stand-in: a plain user class pickled with the model's params."""

    def __init__(self, n):
        self.word2id = {f"w{i}": i for i in range(n)}

    def __repr__(self):
        return 'Vocab(source %d words, target %d words)' % (len(self.word2id), len(self.word2id))


def nmt_save_load(L):
    """run.py's checkpointing: NMT.save (torch.save of {'args', 'vocab', 'state_dict'}),
    torch.save(optimizer.state_dict(), path + '.optim'), then on patience: NMT.load with
    map_location=lambda storage, loc: storage (weights_only default, then False), lr decay
    via optimizer.param_groups, optimizer.load_state_dict(torch.load(...)); the a5
    sanity_check seeds (torch.cuda.manual_seed on a CPU build)."""
    import os
    import tempfile
    nn = L.nn
    with Out() as o:
        seed = 1234
        L.manual_seed(seed)
        L.cuda.manual_seed(seed)
        o.print(L.cuda.is_available())
        model = nn.Sequential(nn.Embedding(6, 4), nn.LSTM(4, 3))
        for p in model.parameters():
            p.data.uniform_(-0.1, 0.1)
        optimizer = L.optim.Adam(model.parameters(), lr=0.001)
        x = L.tensor([[1, 2], [3, 4], [5, 0]])
        out, _ = model(x)
        out.sum().backward()
        optimizer.step()
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'model.bin')
            params = {'args': dict(embed_size=4, hidden_size=3, dropout_rate=0.2),
                      'vocab': _Vocab(6), 'state_dict': model.state_dict()}
            L.save(params, path)
            L.save(optimizer.state_dict(), path + '.optim')
            o.print('save model parameters to [%s]' % os.path.basename(path))
            o.tryit(lambda: L.load(path, map_location=lambda storage, loc: storage))
            params = L.load(path, map_location=lambda storage, loc: storage, weights_only=False)
            o.print(params['args'], params['vocab'], sorted(params['state_dict']))
            model2 = nn.Sequential(nn.Embedding(6, 4), nn.LSTM(4, 3))
            o.print(model2.load_state_dict(params['state_dict']))
            lr = optimizer.param_groups[0]['lr'] * float('0.5')
            o.print('load previously best model and decay learning rate to %f' % lr)
            optimizer2 = L.optim.Adam(model2.parameters(), lr=0.001)
            optimizer2.load_state_dict(L.load(path + '.optim'))
            for param_group in optimizer2.param_groups:
                param_group['lr'] = lr
            o.print(optimizer2.param_groups[0]['lr'], optimizer2.state_dict()['state'][0]['step'])
            out2, _ = model2(x)
            out2.sum().backward()
            optimizer2.step()
            o.vals += [out2, model2[0].weight, model2[1].weight_hh_l0]
            o.print(L.load(path, map_location='cpu', weights_only=False)['state_dict']
                    ['1.bias_ih_l0'].device)
    return o.done()


def minbert_save_model(L):
    """classifier.py's seed_everything / save_model / the test-time reload: a dict of the
    model's and optimizer's state, the argparse Namespace, model config, and the Python /
    NumPy / torch RNG states, saved with torch.save and read back by torch.load (weights_only
    default, which refuses the NumPy state, then weights_only=False), rng state restored."""
    import argparse
    import os
    import random
    import tempfile
    import numpy as np
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        def seed_everything(seed=11711):
            random.seed(seed)
            np.random.seed(seed)
            L.manual_seed(seed)
            L.cuda.manual_seed(seed)
            L.cuda.manual_seed_all(seed)
            L.backends.cudnn.benchmark = False
            L.backends.cudnn.deterministic = True
        seed_everything()
        args = argparse.Namespace(epochs=2, lr=1e-5, batch_size=8, hidden_dropout_prob=0.3,
                                  filepath='finetune-10-1e-05.pt')
        model = nn.Linear(4, 5)
        optimizer = L.optim.AdamW(model.parameters(), lr=args.lr)
        x = L.randn(3, 4)
        F.cross_entropy(model(x), L.tensor([1, 2, 3]), reduction='sum').backward()
        optimizer.step()
        with tempfile.TemporaryDirectory() as d:
            filepath = os.path.join(d, args.filepath)
            save_info = {'model': model.state_dict(), 'optim': optimizer.state_dict(),
                         'args': args, 'model_config': {'hidden_size': 4, 'num_labels': 5},
                         'system_rng': random.getstate(), 'numpy_rng': np.random.get_state(),
                         'torch_rng': L.random.get_rng_state()}
            L.save(save_info, filepath)
            o.print(f"save the model to {args.filepath}")
            o.tryit(lambda: type(L.load(filepath)).__name__)
            saved = L.load(filepath, weights_only=False)
            o.print(saved['args'], saved['model_config'], saved['torch_rng'].dtype,
                    saved['torch_rng'].shape)
            model2 = nn.Linear(4, 5)
            model2.load_state_dict(saved['model'])
            L.random.set_rng_state(saved['torch_rng'])
            a = L.randn(2)
            L.random.set_rng_state(saved['torch_rng'])
            o.print(L.equal(a, L.randn(2)))
            o.vals += [model2(x), a]
            o.print(f"load model from {args.filepath}")
    return o.done()


def multitask_heads(L):
    """multitask_classifier.py's heads on pooled sentence embeddings: sentiment (Linear to 5,
    cross_entropy), paraphrase (concat |a-b|, a*b -> one logit, binary_cross_entropy_with_logits
    on float labels, sigmoid().round()), similarity (cosine_similarity scaled to 0..5, mse_loss,
    Pearson r via np.corrcoef), summed loss, 2 AdamW steps."""
    import numpy as np
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        L.manual_seed(0)
        enc = nn.Sequential(nn.Embedding(20, 8, padding_idx=0), nn.Dropout(0.1))
        sst = nn.Linear(8, 5)
        para = nn.Linear(8 * 4, 1)
        params = [p for m in (enc, sst, para) for p in m.parameters()]
        opt = L.optim.AdamW(params, lr=1e-3)

        def pooled(ids, mask):
            h = enc(ids)
            m = mask.unsqueeze(-1).float()
            return (h * m).sum(1) / m.sum(1).clamp(min=1e-9)

        a = L.tensor([[1, 2, 3, 0], [4, 5, 0, 0], [6, 7, 8, 9]])
        b = L.tensor([[3, 2, 0, 0], [4, 5, 6, 0], [9, 8, 7, 6]])
        ma, mb = (a != 0).long(), (b != 0).long()
        y_sst = L.tensor([4, 0, 2])
        y_para = L.tensor([1, 0, 1])
        y_sts = L.tensor([4.5, 1.0, 3.2])
        for step in range(2):
            ea, eb = pooled(a, ma), pooled(b, mb)
            loss_sst = F.cross_entropy(sst(ea), y_sst, reduction='sum') / 3
            logit = para(L.cat([ea, eb, L.abs(ea - eb), ea * eb], dim=-1)).squeeze(-1)
            loss_para = F.binary_cross_entropy_with_logits(logit, y_para.float(),
                                                           reduction='mean')
            sim = (F.cosine_similarity(ea, eb, dim=-1) + 1) * 2.5
            loss_sts = F.mse_loss(sim, y_sts.view(-1))
            loss = loss_sst + loss_para + loss_sts
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print(f"step {step}: sst {loss_sst.item():.4f} para {loss_para.item():.4f} "
                    f"sts {loss_sts.item():.4f}")
        enc.eval()
        with L.no_grad():
            ea, eb = pooled(a, ma), pooled(b, mb)
            para_pred = L.sigmoid(para(L.cat([ea, eb, L.abs(ea - eb), ea * eb], -1))).round()
            sim = ((F.cosine_similarity(ea, eb, dim=-1) + 1) * 2.5).detach().cpu().numpy()
        o.print(para_pred.flatten().cpu().numpy().tolist(), para_pred.dtype)
        corr = np.corrcoef(sim, y_sts.numpy())[1][0]
        o.print(f"sts corr {corr:.3f}", sim.dtype)
        o.vals += [sim, sst.weight, para.bias]
    return o.done()


def mingpt_loader(L):
    """minGPT trainer.py's DataLoader(shuffle=True, pin_memory=True, batch_size, num_workers)
    over a NameDataset-like Dataset of long tensors (x = ids[:-1], y = ids[1:]), on a CPU
    build (PyTorch warns that pinned memory is not used), iterated with enumerate."""
    with Out() as o:
        class DS(L.utils.data.Dataset):
            def __init__(self):
                self.data = list(range(10))

            def __len__(self):
                return len(self.data)

            def __getitem__(self, idx):
                x = L.tensor([self.data[idx], self.data[idx] + 1, 0], dtype=L.long)
                return x[:-1], x[1:]

        L.manual_seed(0)
        loader = L.utils.data.DataLoader(DS(), shuffle=True, pin_memory=True, batch_size=4,
                                         num_workers=0)
        for it, (x, y) in enumerate(loader):
            o.print(it, x.tolist(), y.shape, x.dtype, x.is_pinned())
        o.print(len(loader))
    return o.done()
