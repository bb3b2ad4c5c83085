"""Programs on karpathy/llama2.c's tooling (tests/s22_llm_progs.py builds the model):
tinystories.py's PretokDataset (an IterableDataset over np.memmap'd uint16 shards, seeded
per worker / DDP rank) through Task.iter_batches' DataLoader(pin_memory=True), and
export.py's legacy / version-1 / version-2 (Q8_0 quantized) .bin writers plus
load_checkpoint, into temporary files, as users type them."""

import hashlib
import os
import random
import struct
import tempfile

import numpy as np
from s16_yunjey_progs import Out
from s22_llm_progs import ModelArgs, _llama


def pretok_batches(L):
    torch = L
    dist = L.distributed
    with Out() as o:
        tmp = tempfile.mkdtemp()
        rng0 = np.random.default_rng(0)
        for i in range(3):
            rng0.integers(0, 50, 200).astype(np.uint16).tofile(os.path.join(tmp, f"data{i:02d}.bin"))

        class PretokDataset(torch.utils.data.IterableDataset):
            """Loads pretokenized examples from disk and yields them as PyTorch tensors."""

            def __init__(self, split, max_seq_len, vocab_size, vocab_source):
                super().__init__()
                self.split = split
                self.max_seq_len = max_seq_len
                self.vocab_size = vocab_size
                self.vocab_source = vocab_source

            def __iter__(self):
                worker_info = torch.utils.data.get_worker_info()
                worker_id = worker_info.id if worker_info else 0
                rank = dist.get_rank() if dist.is_initialized() else 0
                seed = 42 + worker_id + 1337 * rank
                rng = random.Random(seed)
                o.print(f"Created a PretokDataset with rng seed {seed}")
                shard_filenames = sorted(f for f in os.listdir(tmp) if f.endswith(".bin"))
                shard_filenames = shard_filenames[1:] if self.split == "train" else shard_filenames[:1]
                assert len(shard_filenames) > 0, f"No bin files found in {tmp}"
                while True:
                    rng.shuffle(shard_filenames)
                    for shard in shard_filenames:
                        m = np.memmap(os.path.join(tmp, shard), dtype=np.uint16, mode="r")
                        num_batches = len(m) // self.max_seq_len
                        num_batches -= 1
                        assert num_batches > 0, "this shard is way too small? investigate."
                        ixs = list(range(num_batches))
                        rng.shuffle(ixs)
                        for ix in ixs:
                            start = ix * self.max_seq_len
                            end = start + self.max_seq_len + 1
                            chunk = torch.from_numpy((m[start:end]).astype(np.int64))
                            x = chunk[:-1]
                            y = chunk[1:]
                            yield x, y

        def iter_batches(batch_size, device, num_workers=0, **dataset_kwargs):
            ds = PretokDataset(**dataset_kwargs)
            dl = torch.utils.data.DataLoader(ds, batch_size=batch_size, pin_memory=True,
                                             num_workers=num_workers)
            for x, y in dl:
                x = x.to(device, non_blocking=True)
                y = y.to(device, non_blocking=True)
                yield x, y

        it = iter_batches(batch_size=4, device="cpu", split="train", max_seq_len=16,
                          vocab_size=50, vocab_source="custom")
        seen = []
        for k in range(8):
            X, Y = next(it)
            seen.append(X)
        o.print(X.shape, X.dtype, Y[0, :5].tolist(), X.is_pinned(), X.is_contiguous())
        val = next(iter_batches(batch_size=2, device="cpu", split="val", max_seq_len=16,
                                vocab_size=50, vocab_source="custom"))
        o.print(val[0].tolist()[0][:6])
        ds = PretokDataset("val", 16, 50, "custom")
        o.tryit(lambda: len(ds))
        o.tryit(lambda: torch.utils.data.DataLoader(ds, batch_size=2, shuffle=True))
        o.vals += [torch.stack(seen), Y]
    return o.done()


def export_bins(L):
    torch, nn = L, L.nn
    with Out() as o:
        m = _llama(L)
        L.manual_seed(7)
        model = m["Transformer"](ModelArgs(n_kv_heads=2, dim=32, hidden_dim=48))
        tmp = tempfile.mkdtemp()

        def serialize_fp32(file, tensor):
            d = tensor.detach().cpu().view(-1).numpy().astype(np.float32)
            b = struct.pack(f'{len(d)}f', *d)
            file.write(b)

        def serialize_int8(file, tensor):
            d = tensor.detach().cpu().view(-1).numpy().astype(np.int8)
            b = struct.pack(f'{len(d)}b', *d)
            file.write(b)

        def quantize_q80(w, group_size):
            assert w.numel() % group_size == 0
            ori_shape = w.shape
            w = w.float()
            w = w.reshape(-1, group_size)
            wmax = torch.abs(w).max(dim=1).values
            scale = wmax / 127.0
            quant = w / scale[:, None]
            int8val = torch.round(quant).to(torch.int8)
            fp32val = (int8val.float() * scale[:, None]).view(-1)
            fp32valr = fp32val.reshape(-1, group_size)
            err = torch.abs(fp32valr - w).max(dim=1).values
            maxerr = err.max().item()
            return int8val, scale, maxerr

        def legacy_export(model, filepath):
            out_file = open(filepath, 'wb')
            hidden_dim = model.layers[0].feed_forward.w1.weight.shape[0]
            p = model.params
            shared_classifier = torch.equal(model.tok_embeddings.weight, model.output.weight)
            if not shared_classifier:
                p.vocab_size = -p.vocab_size
            n_kv_heads = p.n_heads if p.n_kv_heads is None else p.n_kv_heads
            header = struct.pack('iiiiiii', p.dim, hidden_dim, p.n_layers, p.n_heads,
                                 n_kv_heads, p.vocab_size, p.max_seq_len)
            out_file.write(header)
            serialize_fp32(out_file, model.tok_embeddings.weight)
            for layer in model.layers:
                serialize_fp32(out_file, layer.attention_norm.weight)
            for layer in model.layers:
                serialize_fp32(out_file, layer.attention.wq.weight)
            for layer in model.layers:
                serialize_fp32(out_file, layer.feed_forward.w2.weight)
            serialize_fp32(out_file, model.norm.weight)
            serialize_fp32(out_file, model.freqs_cos[:p.max_seq_len])
            serialize_fp32(out_file, model.freqs_sin[:p.max_seq_len])
            if not shared_classifier:
                serialize_fp32(out_file, model.output.weight)
            out_file.close()
            o.print(f"wrote {os.path.basename(filepath)}")

        def version2_export(model, filepath, group_size=64):
            version = 2
            while model.params.dim % group_size != 0:
                group_size //= 2
                o.print(f"BACKOFF: reducing group size to {group_size} to fit hidden_dim")
            weights = [
                model.tok_embeddings.weight,
                *[layer.attention.wq.weight for layer in model.layers],
                *[layer.attention.wk.weight for layer in model.layers],
                *[layer.feed_forward.w1.weight for layer in model.layers],
            ]
            shared_classifier = torch.equal(model.tok_embeddings.weight, model.output.weight)
            if not shared_classifier:
                weights.append(model.output.weight)
            out_file = open(filepath, 'wb')
            out_file.write(struct.pack('I', 0x616b3432))
            out_file.write(struct.pack('i', version))
            p = model.params
            hidden_dim = model.layers[0].feed_forward.w1.weight.shape[0]
            n_kv_heads = p.n_heads if p.n_kv_heads is None else p.n_kv_heads
            header = struct.pack('iiiiiii', p.dim, hidden_dim, p.n_layers, p.n_heads,
                                 n_kv_heads, p.vocab_size, p.max_seq_len)
            out_file.write(header)
            out_file.write(struct.pack('B', int(shared_classifier)))
            out_file.write(struct.pack('i', group_size))
            pad = 256 - out_file.tell()
            assert pad >= 0
            out_file.write(b'\0' * pad)
            for layer in model.layers:
                serialize_fp32(out_file, layer.attention_norm.weight)
            serialize_fp32(out_file, model.norm.weight)
            ew = []
            scales = []
            for i, w in enumerate(weights):
                q, s, err = quantize_q80(w, group_size)
                serialize_int8(out_file, q)
                scales.append(s)
                ew.append((err, w.shape))
                o.print(f"{i+1}/{len(weights)} quantized {tuple(w.shape)} to Q8_0 with max error {err}")
            for s in scales:
                serialize_fp32(out_file, s)
            ew.sort(reverse=True)
            o.print(f"max quantization group error across all weights: {ew[0][0]}")
            out_file.close()
            o.print(f"wrote {os.path.basename(filepath)}")

        legacy_export(model, os.path.join(tmp, "model_v0.bin"))
        version2_export(model, os.path.join(tmp, "model_q80.bin"))
        for name in ["model_v0.bin", "model_q80.bin"]:
            with open(os.path.join(tmp, name), "rb") as fh:
                data = fh.read()
            # the RoPE tables are float32 cos/sin: an ulp apart (README, Differences)
            o.print(name, len(data), hashlib.md5(data).hexdigest() if "q80" in name else "")
            o.vals.append(np.frombuffer(data[28 if "v0" in name else 256:], dtype=np.float32
                                        if "v0" in name else np.uint8))
        q, s, err = quantize_q80(model.layers[0].attention.wq.weight, 32)
        o.print(q.dtype, q.shape, s.shape, q.min().item(), q.max().item())
        # load_checkpoint: a torch.save'd dict, strict=False, untied weights
        ckpt = os.path.join(tmp, "ckpt.pt")
        torch.save({"model_args": dict(dim=32, n_layers=2, n_heads=4, n_kv_heads=2,
                                       hidden_dim=48),
                    "model": {"_orig_mod." + k: v for k, v in model.state_dict().items()}}, ckpt)
        checkpoint_dict = torch.load(ckpt, map_location='cpu')
        gptconf = ModelArgs(**checkpoint_dict['model_args'])
        model2 = m["Transformer"](gptconf)
        state_dict = checkpoint_dict['model']
        unwanted_prefix = '_orig_mod.'
        for k, v in list(state_dict.items()):
            if k.startswith(unwanted_prefix):
                state_dict[k[len(unwanted_prefix):]] = state_dict.pop(k)
        o.print(model2.load_state_dict(state_dict, strict=False))
        model2.eval()
        model2.output.weight = nn.Parameter(model2.output.weight.detach().clone() * 2)
        o.print(torch.equal(model2.tok_embeddings.weight, model2.output.weight))
        legacy_export(model2, os.path.join(tmp, "untied.bin"))
        o.print(model2.params.vocab_size, os.path.getsize(os.path.join(tmp, "untied.bin")))
        o.vals += [q, s, np.fromfile(os.path.join(tmp, "model_q80.bin"), dtype=np.uint8)]
    return o.done()
