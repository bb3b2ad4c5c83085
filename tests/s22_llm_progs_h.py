"""LLM-from-scratch programs (session 22), this file: rasbt/LLMs-from-scratch
ch05/10_llm-training-speed/01_opt_single_gpu.py (GPTDatasetV1 / create_dataloader_v1 with
pin_memory, PyTorchMultiHeadAttention on scaled_dot_product_attention with a fused qkv
projection and dropout, nn.GELU(approximate="tanh"), nn.LayerNorm, fused AdamW,
train_model_simple_with_timing evaluating on the shuffled loader mid-epoch,
generate_and_print_sample; torch.compile left out: see COMPILE), as users type them, at toy
sizes with a character-level stand-in for tiktoken (not installed here) and a short text."""

import time

from s16_yunjey_progs import Out

TEXT = ("It was a bright cold day in April, and the clocks were striking thirteen. "
        "Winston Smith, his chin nuzzled into his breast in an effort to escape the vile "
        "wind, slipped quickly through the glass doors of Victory Mansions, though not "
        "quickly enough to prevent a swirl of gritty dust from entering along with him.") * 2


# torch.compile(model) costs PyTorch ~20 s of Inductor compiling here (over this file's time
# budget) and Inductor draws dropout's random numbers its own way (seeds taken from the global
# generator per graph), which ember, running eagerly, cannot follow; the compile wrapper is
# compared in tests/test_programs_s14_llmscratch.py, so this program runs the model eagerly
COMPILE = False


class CharTokenizer:
    """tiktoken.get_encoding("gpt2") stand-in: one id per character, 50 ids."""

    def encode(self, text, allowed_special=None):
        return [ord(c) % 50 for c in text]

    def decode(self, ids):
        return "".join(chr(97 + i % 26) if i else " " for i in ids)


def training_speed(L):
    torch, nn = L, L.nn
    Dataset, DataLoader = L.utils.data.Dataset, L.utils.data.DataLoader
    with Out() as o:
        class GPTDatasetV1(Dataset):
            def __init__(self, txt, tokenizer, max_length, stride):
                self.input_ids = []
                self.target_ids = []
                token_ids = tokenizer.encode(txt, allowed_special={"<|endoftext|>"})
                for i in range(0, len(token_ids) - max_length, stride):
                    input_chunk = token_ids[i:i + max_length]
                    target_chunk = token_ids[i + 1: i + max_length + 1]
                    self.input_ids.append(torch.tensor(input_chunk))
                    self.target_ids.append(torch.tensor(target_chunk))

            def __len__(self):
                return len(self.input_ids)

            def __getitem__(self, idx):
                return self.input_ids[idx], self.target_ids[idx]

        def create_dataloader_v1(txt, batch_size=4, max_length=256, stride=128, shuffle=True,
                                 drop_last=True, num_workers=0):
            tokenizer = CharTokenizer()
            dataset = GPTDatasetV1(txt, tokenizer, max_length, stride)
            dataloader = DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                                    drop_last=drop_last, num_workers=num_workers, pin_memory=True)
            return dataloader

        class PyTorchMultiHeadAttention(nn.Module):
            def __init__(self, d_in, d_out, num_heads, dropout=0.0, qkv_bias=False):
                super().__init__()
                assert d_out % num_heads == 0, "d_out is indivisible by num_heads"
                self.num_heads = num_heads
                self.head_dim = d_out // num_heads
                self.d_out = d_out
                self.qkv = nn.Linear(d_in, 3 * d_out, bias=qkv_bias)
                self.proj = nn.Linear(d_out, d_out)
                self.dropout = dropout

            def forward(self, x):
                batch_size, num_tokens, embed_dim = x.shape
                qkv = self.qkv(x)
                qkv = qkv.view(batch_size, num_tokens, 3, self.num_heads, self.head_dim)
                qkv = qkv.permute(2, 0, 3, 1, 4)
                queries, keys, values = qkv
                use_dropout = 0. if not self.training else self.dropout
                context_vec = nn.functional.scaled_dot_product_attention(
                    queries, keys, values, attn_mask=None, dropout_p=use_dropout, is_causal=True)
                context_vec = context_vec.transpose(1, 2).contiguous().view(batch_size, num_tokens, self.d_out)
                context_vec = self.proj(context_vec)
                return context_vec

        class FeedForward(nn.Module):
            def __init__(self, cfg):
                super().__init__()
                self.layers = nn.Sequential(
                    nn.Linear(cfg["emb_dim"], 4 * cfg["emb_dim"]),
                    nn.GELU(approximate="tanh"),
                    nn.Linear(4 * cfg["emb_dim"], cfg["emb_dim"]),
                )

            def forward(self, x):
                return self.layers(x)

        class TransformerBlock(nn.Module):
            def __init__(self, cfg):
                super().__init__()
                self.att = PyTorchMultiHeadAttention(
                    d_in=cfg["emb_dim"], d_out=cfg["emb_dim"], num_heads=cfg["n_heads"],
                    dropout=cfg["drop_rate"], qkv_bias=cfg["qkv_bias"])
                self.ff = FeedForward(cfg)
                self.norm1 = nn.LayerNorm(cfg["emb_dim"])
                self.norm2 = nn.LayerNorm(cfg["emb_dim"])
                self.drop_shortcut = nn.Dropout(cfg["drop_rate"])

            def forward(self, x):
                shortcut = x
                x = self.norm1(x)
                x = self.att(x)
                x = self.drop_shortcut(x)
                x = x + shortcut
                shortcut = x
                x = self.norm2(x)
                x = self.ff(x)
                x = self.drop_shortcut(x)
                x = x + shortcut
                return x

        class GPTModel(nn.Module):
            def __init__(self, cfg):
                super().__init__()
                self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
                self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
                self.drop_emb = nn.Dropout(cfg["drop_rate"])
                self.trf_blocks = nn.Sequential(*[TransformerBlock(cfg) for _ in range(cfg["n_layers"])])
                self.final_norm = nn.LayerNorm(cfg["emb_dim"])
                self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

            def forward(self, in_idx):
                batch_size, seq_len = in_idx.shape
                tok_embeds = self.tok_emb(in_idx)
                pos_embeds = self.pos_emb(torch.arange(seq_len, device=in_idx.device))
                x = tok_embeds + pos_embeds
                x = self.drop_emb(x)
                x = self.trf_blocks(x)
                x = self.final_norm(x)
                logits = self.out_head(x)
                return logits

        def generate_text_simple(model, idx, max_new_tokens, context_size):
            for _ in range(max_new_tokens):
                idx_cond = idx[:, -context_size:]
                with torch.no_grad():
                    logits = model(idx_cond)
                logits = logits[:, -1, :]
                idx_next = torch.argmax(logits, dim=-1, keepdim=True)
                idx = torch.cat((idx, idx_next), dim=1)
            return idx

        def text_to_token_ids(text, tokenizer):
            encoded = tokenizer.encode(text)
            return torch.tensor(encoded).unsqueeze(0)

        def token_ids_to_text(token_ids, tokenizer):
            flat = token_ids.squeeze(0)
            return tokenizer.decode(flat.tolist())

        def calc_loss_batch(input_batch, target_batch, model, device):
            input_batch, target_batch = input_batch.to(device), target_batch.to(device)
            logits = model(input_batch)
            return torch.nn.functional.cross_entropy(logits.flatten(0, 1), target_batch.flatten())

        def calc_loss_loader(data_loader, model, device, num_batches=None):
            total_loss = 0.
            if len(data_loader) == 0:
                return float("nan")
            elif num_batches is None:
                num_batches = len(data_loader)
            else:
                num_batches = min(num_batches, len(data_loader))
            for i, (input_batch, target_batch) in enumerate(data_loader):
                if i < num_batches:
                    loss = calc_loss_batch(input_batch, target_batch, model, device)
                    total_loss += loss.item()
                else:
                    break
            return total_loss / num_batches

        def evaluate_model(model, train_loader, val_loader, device, eval_iter):
            model.eval()
            with torch.no_grad():
                train_loss = calc_loss_loader(train_loader, model, device, num_batches=eval_iter)
                val_loss = calc_loss_loader(val_loader, model, device, num_batches=eval_iter)
            model.train()
            return train_loss, val_loss

        def generate_and_print_sample(model, tokenizer, device, start_context):
            model.eval()
            context_size = model.pos_emb.weight.shape[0]
            encoded = text_to_token_ids(start_context, tokenizer).to(device)
            with torch.no_grad():
                token_ids = generate_text_simple(model=model, idx=encoded, max_new_tokens=12,
                                                 context_size=context_size)
                decoded_text = token_ids_to_text(token_ids, tokenizer)
                o.print(decoded_text.replace("\n", " "))
            model.train()

        def train_model_simple_with_timing(model, train_loader, val_loader, optimizer, device,
                                           num_epochs, eval_freq, eval_iter, start_context,
                                           tokenizer):
            train_losses, val_losses, track_tokens = [], [], []
            total_tokens, global_step, last_tokens = 0, -1, 0
            use_cuda = device.type == "cuda"
            t0 = time.time()
            for epoch in range(num_epochs):
                model.train()
                for inp_batch, tgt_batch in train_loader:
                    optimizer.zero_grad()
                    global_step += 1
                    loss = calc_loss_batch(inp_batch, tgt_batch, model, device)
                    loss.backward()
                    optimizer.step()
                    total_tokens += inp_batch.numel()
                    if global_step % eval_freq == 0 and not use_cuda:
                        elapsed = time.time() - t0  # (timings not printed: they differ)
                        t0 = time.time()
                        tokens_interval = total_tokens - last_tokens
                        last_tokens = total_tokens
                        train_loss, val_loss = evaluate_model(model, train_loader, val_loader,
                                                              device, eval_iter)
                        train_losses.append(train_loss)
                        val_losses.append(val_loss)
                        track_tokens.append(total_tokens)
                        o.print(f"Ep {epoch+1}, Step {global_step:06d}, "
                                f"Train: {train_loss:.3f}, Val: {val_loss:.3f}, "
                                f"tokens: {tokens_interval}", elapsed >= 0)
                generate_and_print_sample(model, tokenizer, device, start_context)
            return train_losses, val_losses, track_tokens

        gpt_config = {"vocab_size": 50, "context_length": 16, "emb_dim": 32, "n_heads": 4,
                      "n_layers": 2, "drop_rate": 0.1, "qkv_bias": False}
        settings = {"learning_rate": 5e-4, "weight_decay": 0.1, "batch_size": 4}
        torch.manual_seed(123)
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        o.print(f"Using {device}")
        o.print(f"Uses tensor cores: {torch.cuda.is_available()}")
        model = GPTModel(gpt_config)
        model = torch.compile(model) if COMPILE else model
        model.to(device).to(torch.float32)
        optimizer = torch.optim.AdamW(model.parameters(), lr=settings["learning_rate"],
                                      weight_decay=settings["weight_decay"], fused=True)
        o.print(optimizer.defaults["fused"], type(model).__name__)
        train_ratio = 0.90
        split_idx = int(train_ratio * len(TEXT))
        train_loader = create_dataloader_v1(TEXT[:split_idx], batch_size=settings["batch_size"],
                                            max_length=gpt_config["context_length"],
                                            stride=gpt_config["context_length"], drop_last=True,
                                            shuffle=True, num_workers=0)
        val_loader = create_dataloader_v1(TEXT[split_idx:], batch_size=settings["batch_size"],
                                          max_length=gpt_config["context_length"],
                                          stride=gpt_config["context_length"], drop_last=False,
                                          shuffle=False, num_workers=0)
        o.print(len(train_loader), len(val_loader), len(train_loader.dataset))
        tokenizer = CharTokenizer()
        train_losses, val_losses, tokens_seen = train_model_simple_with_timing(
            model=model, train_loader=train_loader, val_loader=val_loader, optimizer=optimizer,
            device=device, num_epochs=2, eval_freq=3, eval_iter=2,
            start_context="Every effort moves you", tokenizer=tokenizer)
        o.print(tokens_seen, list(model.state_dict())[:2])
        o.vals += [train_losses, val_losses, model.out_head.weight]
    return o.done()
